// The MPT forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include <algorithm>

#include "kernels/vector_ops.h"
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/mpt_model.h"

namespace tachyon {
namespace {

// x[i] = min(max(x[i], -c), c), for the n values of x.
void clamp_values(float* x, int64_t n, float c) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], -c, c);
}

}  // namespace

Status MptModel::final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                    std::vector<float>& hidden) const {
  const ModelHParams& h = hparams_;
  const MptWeights& w = weights_;
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t D = h.n_embd, d = h.head_dim, F = h.n_ff, V = h.n_vocab;
  const int64_t q_dim = h.n_head * d, kv_dim = h.n_head_kv * d;
  hidden.clear();
  if (T == 0) return Status::success();

  // Validate the batch and make room in the cache for every (sequence, position).
  Status reserved = check_and_reserve(batch, kv, V);
  if (!reserved) return reserved;

  std::vector<float> x(T * D);         // (T, D) residual stream
  std::vector<float> xn(T * D);        // (T, D) normalised input of a sub-layer
  std::vector<float> q(T * q_dim);     // (T, H, d)
  std::vector<float> k(T * kv_dim);    // (T, Hkv, d)
  std::vector<float> v(T * kv_dim);    // (T, Hkv, d)
  std::vector<float> attn(T * q_dim);  // (T, H, d)
  std::vector<float> proj(T * D);      // (T, D) output of a sub-layer before the residual add
  std::vector<float> up(T * F);        // (T, F)

  // Token embeddings: dequantized rows of token_embd. No position embeddings: positions enter
  // through the ALiBi biases of the attention scores.
  embed_tokens(w.token_embd, batch, x.data());

  // score = q·k / sqrt(d) + slope_h * -|pos_q - pos_k|, one slope per query head.
  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d;
  ap.alibi_slopes = alibi_slopes_;
  const KvDType kv_dtype = kv.shape().dtype;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const MptLayerWeights& L = w.layers[l];

    // Attention block: xn = layernorm(x) * attn_norm; q, k, v = the fused projection's row
    // ranges, each clamped to [-clamp_kqv, clamp_kqv].
    for (int64_t t = 0; t < T; ++t)
      layer_norm(&x[t * D], L.attn_norm.data(), nullptr, &xn[t * D], D, h.norm_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    if (params_.clamp_kqv > 0.0f) {
      clamp_values(q.data(), T * q_dim, params_.clamp_kqv);
      clamp_values(k.data(), T * kv_dim, params_.clamp_kqv);
      clamp_values(v.data(), T * kv_dim, params_.clamp_kqv);
    }
    for (int64_t t = 0; t < T; ++t) {
      store_kv_row(&k[t * kv_dim], kv.k_row(l, batch.seq_ids[t], batch.positions[t]), kv_dim, kv_dtype);
      store_kv_row(&v[t * kv_dim], kv.v_row(l, batch.seq_ids[t], batch.positions[t]), kv_dim, kv_dtype);
    }
    // attn (T, H, d): every (token, KV head) pair attends over its own sequence's cached rows,
    // for the query heads that share that KV head.
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    add_in_place(x.data(), proj.data(), T * D);

    // Feed-forward block: x += W_down gelu(W_up layernorm(x) * ffn_norm).
    for (int64_t t = 0; t < T; ++t)
      layer_norm(&x[t * D], L.ffn_norm.data(), nullptr, &xn[t * D], D, h.norm_eps);
    matmul(L.w_up, xn.data(), up.data(), T, pool);
    // up = gelu(up): elementwise, so spread over the pool in blocks.
    for_each_block(pool, T * F, [&](int64_t first, int64_t n) { gelu(&up[first], &up[first], n); });
    matmul(L.w_down, up.data(), proj.data(), T, pool);
    add_in_place(x.data(), proj.data(), T * D);
  }

  // The final LayerNorm of the rows that want logits: hidden (n_out, D).
  hidden = rows_wanting_logits(batch, x.data(), D);
  for (int64_t r = 0; r < int64_t(hidden.size()) / D; ++r)
    layer_norm(&hidden[r * D], w.output_norm.data(), nullptr, &hidden[r * D], D, h.norm_eps);
  return Status::success();
}

// logits (n_out, V) = output · hidden.
void MptModel::output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const {
  project_to_vocab(weights_.output, hidden, logits, pool);
}

}  // namespace tachyon
