// The BERT forward pass, top to bottom, and embed(): inputs packed into batches, hidden states
// pooled per input. Shapes: T = tokens in the batch, D = n_embd, H = n_head, d = head_dim,
// F = n_ff.
#include <algorithm>

#include "gguf/quantize.h"
#include "kernels/vector_ops.h"
#include "kv/contiguous_kv_cache.h"
#include "model/attention.h"
#include "model/bert_model.h"

namespace tachyon {
namespace {

// Tokens per forward pass: inputs are packed until the next one would pass this (a longer
// input runs alone). Bounds the activations at a few MiB per 100 dimensions.
constexpr int64_t kMaxBatchTokens = 2048;

// Row `row` of an embedding table, dequantized into out (n_cols floats).
void table_row(const WeightMatrix& table, int64_t row, float* out) {
  dequantize_row(table.type, static_cast<const uint8_t*>(table.data) + size_t(row) * table.row_bytes, out,
                 table.n_cols);
}

// y (T, n) += b (n) on every row.
void add_bias(float* y, const std::vector<float>& b, int64_t T) {
  const int64_t n = int64_t(b.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += b[size_t(i)];
}

// x (T, D) = layernorm(x + residual) * w + b, row by row.
void add_and_norm(float* x, const float* residual, const std::vector<float>& w, const std::vector<float>& b, int64_t T,
                  int64_t D, float eps) {
  for (int64_t i = 0; i < T * D; ++i) x[i] += residual[i];
  for (int64_t t = 0; t < T; ++t) layer_norm(&x[t * D], w.data(), b.data(), &x[t * D], D, eps);
}

}  // namespace

void BertModel::forward(const Batch& batch, std::span<const int32_t> last, KvCache& kv, ThreadPool& pool,
                        std::vector<float>& x) const {
  const ModelHParams& h = hparams_;
  const BertWeights& w = weights_;
  const int64_t T = int64_t(batch.size());
  const int64_t D = h.n_embd, F = h.n_ff;

  x.assign(size_t(T * D), 0.0f);       // (T, D) residual stream
  std::vector<float> row(static_cast<size_t>(D));  // (D) one embedding row
  std::vector<float> q(size_t(T * D));  // (T, H, d)
  std::vector<float> k(size_t(T * D));  // (T, H, d)
  std::vector<float> v(size_t(T * D));  // (T, H, d)
  std::vector<float> attn(size_t(T * D));  // (T, H, d)
  std::vector<float> proj(size_t(T * D));  // (T, D) a sub-layer's output before the residual add
  std::vector<float> up(size_t(T * F));    // (T, F)

  // Embeddings: x = (token_embd[t] + token_types[0]) + position_embd[pos], then LayerNorm.
  for (int64_t t = 0; t < T; ++t) {
    float* xt = &x[size_t(t * D)];
    table_row(w.token_embd, batch.tokens[size_t(t)], xt);
    for (int64_t i = 0; i < D; ++i) xt[i] += w.token_type0[size_t(i)];
    table_row(w.position_embd, batch.positions[size_t(t)], row.data());
    for (int64_t i = 0; i < D; ++i) xt[i] += row[size_t(i)];
    layer_norm(xt, w.embd_norm_w.data(), w.embd_norm_b.data(), xt, D, h.norm_eps);
  }

  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head, ap.head_dim = h.head_dim;
  for (const BertLayerWeights& L : w.layers) {
    // Attention: q, k, v = W x + b; every token attends over its whole sequence (kv holds this
    // layer's rows only, at layer index 0).
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, x.data(), T, pool);
    add_bias(q.data(), L.bq, T);
    add_bias(k.data(), L.bk, T);
    add_bias(v.data(), L.bv, T);
    for (int64_t t = 0; t < T; ++t) {
      const int32_t seq = batch.seq_ids[size_t(t)], pos = batch.positions[size_t(t)];
      std::copy_n(&k[size_t(t * D)], D, reinterpret_cast<float*>(kv.k_row(0, seq, pos)));
      std::copy_n(&v[size_t(t * D)], D, reinterpret_cast<float*>(kv.v_row(0, seq, pos)));
    }
    attend_batch(ap, batch, kv, 0, q.data(), attn.data(), pool, causal_ ? std::span<const int32_t>{} : last);
    // x = layernorm(Wo attn + bo + x) (attn_output_norm).
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    add_bias(proj.data(), L.bo, T);
    add_and_norm(x.data(), proj.data(), L.attn_norm_w, L.attn_norm_b, T, D, h.norm_eps);

    // Feed-forward: x = layernorm(W_down gelu(W_up x + b_up) + b_down + x) (layer_output_norm).
    matmul(L.w_up, x.data(), up.data(), T, pool);
    add_bias(up.data(), L.b_up, T);
    constexpr int64_t kGeluBlock = 4096;
    pool.parallel_for((T * F + kGeluBlock - 1) / kGeluBlock, [&](int64_t begin, int64_t end, int) {
      const int64_t first = begin * kGeluBlock, past = std::min(T * F, end * kGeluBlock);
      gelu(&up[size_t(first)], &up[size_t(first)], past - first);
    });
    matmul(L.w_down, up.data(), proj.data(), T, pool);
    add_bias(proj.data(), L.b_down, T);
    add_and_norm(x.data(), proj.data(), L.output_norm_w, L.output_norm_b, T, D, h.norm_eps);
  }
}

Result<std::vector<EncoderOutput>> BertModel::embed(std::span<const std::vector<int32_t>> inputs, Pooling pooling,
                                                    ThreadPool& pool) const {
  const int64_t D = hparams_.n_embd;
  if (Status valid = check_encoder_inputs(inputs, n_ctx(), hparams_.n_vocab); !valid) return valid.error();

  std::vector<EncoderOutput> outputs(inputs.size());
  std::vector<float> x;
  for (size_t first = 0; first < inputs.size();) {
    // The next batch: consecutive inputs while they fit the token budget (at least one).
    size_t past = first;
    int64_t n_tokens = 0, longest = 0;
    while (past < inputs.size() && (past == first || n_tokens + int64_t(inputs[past].size()) <= kMaxBatchTokens)) {
      n_tokens += int64_t(inputs[past].size());
      longest = std::max<int64_t>(longest, int64_t(inputs[past].size()));
      ++past;
    }
    Batch batch;
    std::vector<int32_t> last;  // (T) each token's sequence's last position
    for (size_t s = first; s < past; ++s)
      for (size_t i = 0; i < inputs[s].size(); ++i) {
        batch.add(inputs[s][i], int32_t(i), int32_t(s - first), false);
        last.push_back(int32_t(inputs[s].size()) - 1);
      }
    // K and V of one layer at a time, in F32.
    ContiguousKvCache kv(KvShape{1, hparams_.n_head, hparams_.head_dim, KvDType::F32}, int32_t(past - first),
                         int32_t(longest));
    for (size_t s = first; s < past; ++s)
      if (Status st = kv.reserve(int32_t(s - first), int32_t(inputs[s].size())); !st) return st.error();
    forward(batch, last, kv, pool, x);

    int64_t offset = 0;
    for (size_t s = first; s < past; ++s) {
      EncoderOutput& out = outputs[s];
      out.n_tokens = int64_t(inputs[s].size());
      const float* hidden = &x[size_t(offset * D)];
      if (pooling == Pooling::none) out.hidden.assign(hidden, hidden + out.n_tokens * D);
      else out.pooled = pool_hidden_states(hidden, out.n_tokens, D, pooling);
      offset += out.n_tokens;
    }
    first = past;
  }
  return outputs;
}

}  // namespace tachyon
