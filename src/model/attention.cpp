#include "model/attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/half_row_ops.h"
#include "kernels/vector_ops.h"

namespace tachyon {
namespace {

// dot(q, row[0..n)) with the row stored in the cache's element type.
float dot_kv(const float* q, const uint8_t* row, int64_t n, KvDType dtype) {
  if (dtype == KvDType::F32) return dot_f32(q, reinterpret_cast<const float*>(row), n);
  return dot_f32_f16(q, reinterpret_cast<const uint16_t*>(row), n);
}

void axpy_kv(float a, const uint8_t* row, float* out, int64_t n, KvDType dtype) {
  if (dtype == KvDType::F32) return axpy(a, reinterpret_cast<const float*>(row), out, n);
  axpy_f16(a, reinterpret_cast<const uint16_t*>(row), out, n);
}

}  // namespace

void attend_kv_group(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int64_t kv_head, const float* q, float* out, std::vector<float>& scratch) {
  const KvDType dtype = kv.shape().dtype;
  const int64_t group = p.n_head / p.n_head_kv;
  const int64_t d = p.head_dim;
  const size_t head_offset = size_t(kv_head * d) * kv_dtype_size(dtype);
  const int32_t first = p.sliding_window > 0 ? std::max<int32_t>(0, pos - int32_t(p.sliding_window) + 1) : 0;
  const int32_t n = pos - first + 1;
  scratch.resize(size_t(group) * size_t(n));  // (group, n): scores, then softmax weights
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));

  for (int32_t i = 0; i < n; ++i) {
    const uint8_t* k = kv.k_row(layer, seq_id, first + i) + head_offset;
    for (int64_t h = 0; h < group; ++h) scratch[size_t(h * n + i)] = dot_kv(q + h * d, k, d, dtype) * scale;
  }
  for (int64_t h = 0; h < group; ++h) {
    float* w = &scratch[size_t(h * n)];
    const float max_score = *std::max_element(w, w + n);
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      w[i] = std::exp(w[i] - max_score);
      sum += w[i];
    }
    const float inv_sum = static_cast<float>(1.0 / sum);
    for (int32_t i = 0; i < n; ++i) w[i] *= inv_sum;
  }
  std::fill(out, out + group * d, 0.0f);
  for (int32_t i = 0; i < n; ++i) {
    const uint8_t* v = kv.v_row(layer, seq_id, first + i) + head_offset;
    for (int64_t h = 0; h < group; ++h) axpy_kv(scratch[size_t(h * n + i)], v, out + h * d, d, dtype);
  }
}

}  // namespace tachyon
