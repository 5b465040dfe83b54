#include "kernels/vector_ops.h"

#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"

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

}  // namespace tachyon
