#include "model/forward_steps.h"

#include <algorithm>
#include <cstring>

#include "gguf/quantize.h"
#include "kernels/quantize_activation.h"
#include "kernels/vector_ops.h"
#include "util/fp16.h"

namespace tachyon {

Status check_and_reserve(const Batch& batch, KvCache& kv, int64_t n_vocab) {
  for (size_t t = 0; t < batch.size(); ++t) {
    if (batch.tokens[t] < 0 || batch.tokens[t] >= n_vocab)
      return make_error("token id {} out of range (vocabulary has {} tokens)", batch.tokens[t], n_vocab);
    if (batch.positions[t] < 0) return make_error("negative position {}", batch.positions[t]);
    Status s = kv.reserve(batch.seq_ids[t], batch.positions[t] + 1);
    if (!s) return s;
  }
  return Status::success();
}

void embed_tokens(const WeightMatrix& token_embd, const Batch& batch, float* x) {
  const int64_t D = token_embd.n_cols;
  for (size_t t = 0; t < batch.size(); ++t)
    dequantize_row(token_embd.type,
                   static_cast<const uint8_t*>(token_embd.data) + size_t(batch.tokens[t]) * token_embd.row_bytes,
                   x + int64_t(t) * D, D);
}

void store_kv_row(const float* src, uint8_t* dst, int64_t n, KvDType dtype) {
  if (dtype == KvDType::F32) {
    std::memcpy(dst, src, size_t(n) * sizeof(float));
  } else if (dtype == KvDType::Q8_0) {
    quantize_activation_q8_0(src, reinterpret_cast<BlockQ8_0*>(dst), n);  // n: whole heads, so whole blocks
  } else {
    uint16_t* d = reinterpret_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = f32_to_fp16(src[i]);
  }
}

std::vector<float> rows_wanting_logits(const Batch& batch, const float* x, int64_t D) {
  std::vector<float> rows;
  for (size_t t = 0; t < batch.size(); ++t)
    if (batch.want_logits[t]) rows.insert(rows.end(), x + int64_t(t) * D, x + int64_t(t + 1) * D);
  return rows;
}

void rms_norm_rows(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
  for (int64_t r = 0; r < n_rows; ++r) rms_norm(x + r * n, w, y + r * n, n, eps);
}

void add_in_place(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

RopeTables rope_tables(const RopeParams& rope, const Batch& batch) {
  RopeTables tables;
  tables.cos.resize(batch.size());
  tables.sin.resize(batch.size());
  for (size_t t = 0; t < batch.size(); ++t) rope_angles(rope, batch.positions[t], tables.cos[t], tables.sin[t]);
  return tables;
}

void rotate_and_store_kv(const RopeParams& rope, const RopeTables& tables, const Batch& batch, KvCache& kv,
                         int64_t layer, int64_t n_head, float* q, float* k, const float* v) {
  const int64_t q_dim = n_head * rope.head_dim, kv_dim = kv.shape().row_elements();
  const int64_t n_head_kv = kv.shape().n_kv_heads;
  for (size_t t = 0; t < batch.size(); ++t) {
    const int64_t i = static_cast<int64_t>(t);
    rope_apply(rope, q + i * q_dim, n_head, tables.cos[t].data(), tables.sin[t].data());
    rope_apply(rope, k + i * kv_dim, n_head_kv, tables.cos[t].data(), tables.sin[t].data());
    store_kv_row(k + i * kv_dim, kv.k_row(layer, batch.seq_ids[t], batch.positions[t]), kv_dim, kv.shape().dtype);
    store_kv_row(v + i * kv_dim, kv.v_row(layer, batch.seq_ids[t], batch.positions[t]), kv_dim, kv.shape().dtype);
  }
}

void swiglu_ffn(const WeightMatrix& w_gate, const WeightMatrix& w_up, const WeightMatrix& w_down, const float* xn,
                int64_t T, float* gate, float* up, float* out, ThreadPool& pool) {
  const int64_t F = w_gate.n_rows;
  const MatmulTarget gate_up[] = {{&w_gate, gate}, {&w_up, up}};
  matmul_many(gate_up, xn, T, pool);
  // gate = silu(gate) * up: elementwise, so spread over the pool in blocks.
  for_each_block(pool, T * F, [&](int64_t first, int64_t n) { silu_mul(gate + first, up + first, gate + first, n); });
  matmul(w_down, gate, out, T, pool);
}

std::vector<float> rms_norm_output_rows(const Batch& batch, const float* x, const float* output_norm, float eps,
                                        int64_t D) {
  std::vector<float> rows = rows_wanting_logits(batch, x, D);  // (n_out, D)
  rms_norm_rows(rows.data(), output_norm, rows.data(), int64_t(rows.size()) / D, D, eps);
  return rows;
}

void project_to_vocab(const WeightMatrix& output, const std::vector<float>& hidden, std::vector<float>& logits,
                      ThreadPool& pool) {
  const int64_t n_out = int64_t(hidden.size()) / output.n_cols;
  logits.resize(size_t(n_out * output.n_rows));
  matmul(output, hidden.data(), logits.data(), n_out, pool);
}

}  // namespace tachyon
