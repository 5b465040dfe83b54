#include "kernels/vector_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attention_rows.h"
#include "util/fp16.h"

namespace tachyon {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  // exp(-g) a chunk at a time through the SIMD exp kernel, then the quotient and product.
  constexpr int64_t kChunk = 256;
  float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = std::min(kChunk, n - i0);
    for (int64_t i = 0; i < m; ++i) e[i] = -gate[i0 + i];
    exp_row(e, e, m);
    for (int64_t i = 0; i < m; ++i) out[i0 + i] = (gate[i0 + i] / (1.0f + e[i])) * up[i0 + i];
  }
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float c = x[i] - mean;
    sq += static_cast<double>(c * c);
  }
  const float variance = static_cast<float>(sq / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(variance + eps);
  for (int64_t i = 0; i < n; ++i) {
    const float v = ((x[i] - mean) * scale) * w[i];
    y[i] = b ? v + b[i] : v;
  }
}

namespace {

// gelu of every f16 input, rounded to f16: 65,536 entries, built once.
const uint16_t* gelu_f16_table() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) {
      const float v = fp16_to_f32(static_cast<uint16_t>(h));
      const float g = 0.5f * v * (1.0f + std::tanh(0.7978845608f * v * (1.0f + 0.044715f * v * v)));
      t[h] = f32_to_fp16(g);
    }
    return t;
  }();
  return table.data();
}

float gelu_one(const uint16_t* table, float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return fp16_to_f32(table[f32_to_fp16(x)]);
}

}  // namespace

void gelu(const float* x, float* y, int64_t n) {
  const uint16_t* table = gelu_f16_table();
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_one(table, x[i]);
}

void gelu_mul(const float* gate, const float* up, float* out, int64_t n) {
  const uint16_t* table = gelu_f16_table();
  for (int64_t i = 0; i < n; ++i) out[i] = gelu_one(table, gate[i]) * up[i];
}

}  // namespace tachyon
