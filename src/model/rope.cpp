#include "model/rope.h"

#include <cmath>

namespace tachyon {

void rope_angles(const RopeParams& p, int32_t pos, std::vector<float>& cos_out, std::vector<float>& sin_out) {
  const int64_t n_pairs = p.n_rot / 2;
  cos_out.resize(n_pairs);
  sin_out.resize(n_pairs);
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < n_pairs; ++i) {
    const float factor = p.freq_factors.empty() ? 1.0f : p.freq_factors[i];
    const float angle = p.freq_scale * (theta / factor);
    cos_out[i] = std::cos(angle);
    sin_out[i] = std::sin(angle);
    theta *= theta_scale;
  }
}

void rope_apply(const RopeParams& p, float* x, int64_t n_heads, const float* cos_t, const float* sin_t) {
  for (int64_t h = 0; h < n_heads; ++h) {
    float* head = x + h * p.head_dim;
    if (p.neox) {
      const int64_t half = p.n_rot / 2;
      for (int64_t i = 0; i < half; ++i) {
        const float x0 = head[i];
        const float x1 = head[i + half];
        head[i] = x0 * cos_t[i] - x1 * sin_t[i];
        head[i + half] = x0 * sin_t[i] + x1 * cos_t[i];
      }
      continue;
    }
    for (int64_t i = 0; i < p.n_rot / 2; ++i) {
      const float x0 = head[2 * i];
      const float x1 = head[2 * i + 1];
      head[2 * i] = x0 * cos_t[i] - x1 * sin_t[i];
      head[2 * i + 1] = x0 * sin_t[i] + x1 * cos_t[i];
    }
  }
}

}  // namespace tachyon
