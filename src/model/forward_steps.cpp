#include "model/forward_steps.h"

#include <cstring>

#include "gguf/quantize.h"
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

}  // namespace tachyon
