// The llama forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include <algorithm>

#include "kernels/vector_ops.h"
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/llama_model.h"
#include "model/rope.h"

namespace tachyon {

Status LlamaModel::forward(const Batch& batch, KvCache& kv, ThreadPool& pool, std::vector<float>& logits) const {
  const ModelHParams& h = hparams_;
  const LlamaWeights& w = weights_;
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t D = h.n_embd, d = h.head_dim, F = h.n_ff, V = h.n_vocab;
  const int64_t q_dim = h.n_head * d, kv_dim = h.n_head_kv * d;
  logits.clear();
  if (T == 0) return Status::success();

  // Validate the batch and make room in the cache for every (sequence, position).
  Status reserved = check_and_reserve(batch, kv, V);
  if (!reserved) return reserved;

  std::vector<float> x(T * D);        // (T, D) residual stream
  std::vector<float> xn(T * D);       // (T, D) normalised input of a sub-layer
  std::vector<float> q(T * q_dim);    // (T, H, d)
  std::vector<float> k(T * kv_dim);   // (T, Hkv, d)
  std::vector<float> v(T * kv_dim);   // (T, Hkv, d)
  std::vector<float> attn(T * q_dim); // (T, H, d)
  std::vector<float> proj(T * D);     // (T, D) output of a sub-layer before the residual add
  std::vector<float> gate(T * F);     // (T, F)
  std::vector<float> up(T * F);       // (T, F)

  // Token embeddings: dequantized rows of token_embd.
  embed_tokens(w.token_embd, batch, x.data());

  // Rotation tables, one per token.
  const RopeParams rope{h.n_rot, d, h.rope_freq_base, h.rope_freq_scale, w.rope_freq_factors};
  std::vector<std::vector<float>> cos_t(T), sin_t(T);
  for (int64_t t = 0; t < T; ++t) rope_angles(rope, batch.positions[t], cos_t[t], sin_t[t]);

  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d, ap.sliding_window = h.sliding_window;
  const KvDType kv_dtype = kv.shape().dtype;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const LlamaLayerWeights& L = w.layers[l];

    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v = projections; rotate q and k.
    for (int64_t t = 0; t < T; ++t) rms_norm(&x[t * D], L.attn_norm.data(), &xn[t * D], D, h.rms_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    for (int64_t t = 0; t < T; ++t) {
      rope_apply(rope, &q[t * q_dim], h.n_head, cos_t[t].data(), sin_t[t].data());
      rope_apply(rope, &k[t * kv_dim], h.n_head_kv, cos_t[t].data(), sin_t[t].data());
      store_kv_row(&k[t * kv_dim], kv.k_row(l, batch.seq_ids[t], batch.positions[t]), kv_dim, kv_dtype);
      store_kv_row(&v[t * kv_dim], kv.v_row(l, batch.seq_ids[t], batch.positions[t]), kv_dim, kv_dtype);
    }
    // attn (T, H, d): every (token, KV head) pair attends over its own sequence's cached rows,
    // for the query heads that share that KV head.
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    for (int64_t i = 0; i < T * D; ++i) x[i] += proj[i];

    // Feed-forward block (SwiGLU): x += W_down (silu(W_gate xn) * W_up xn).
    for (int64_t t = 0; t < T; ++t) rms_norm(&x[t * D], L.ffn_norm.data(), &xn[t * D], D, h.rms_eps);
    const MatmulTarget gate_up[] = {{&L.w_gate, gate.data()}, {&L.w_up, up.data()}};
    matmul_many(gate_up, xn.data(), T, pool);
    // gate = silu(gate) * up: elementwise, so spread over the pool in blocks.
    for_each_block(pool, T * F,
                   [&](int64_t first, int64_t n) { silu_mul(&gate[first], &up[first], &gate[first], n); });
    matmul(L.w_down, gate.data(), proj.data(), T, pool);
    for (int64_t i = 0; i < T * D; ++i) x[i] += proj[i];
  }

  // Final norm and output projection, only for the rows that want logits.
  std::vector<float> rows = rows_wanting_logits(batch, x.data(), D);  // (n_out, D)
  const int64_t n_out = static_cast<int64_t>(rows.size()) / D;
  for (int64_t r = 0; r < n_out; ++r) rms_norm(&rows[r * D], w.output_norm.data(), &rows[r * D], D, h.rms_eps);
  logits.resize(n_out * V);
  matmul(w.output, rows.data(), logits.data(), n_out, pool);
  return Status::success();
}

}  // namespace tachyon
