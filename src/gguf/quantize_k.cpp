// The 256-element super-block formats (Q4_K, Q5_K, Q6_K, Q8_K). Quantizers search per sub-block
// scales (and minimums) that minimise a weighted squared error, then store those scales themselves
// quantized against one fp16 super-block scale, as ggml's reference quantizers do.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gguf/quantize.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

// Below this a group is treated as all zeros.
constexpr float kGroupEpsilon = 1e-15f;

// Round half to even, as the K-quant formats were defined with.
int nearest_int(float v) { return static_cast<int>(std::lrint(v)); }

int clamp_int(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// Asymmetric fit x ≈ scale * L + min with L in [0, n_max], min <= 0, weighted by w. Starts from the
// min/max grid, then tries n_steps+1 slightly stretched grids, refitting scale and min by weighted
// least squares for each, and keeps the best. Returns scale; *neg_min receives -min.
float fit_scale_and_min(int n, int n_max, const float* x, const float* w, uint8_t* L, float* neg_min,
                        float grid_start, float grid_step, int n_steps) {
  float lo = x[0];
  float hi = x[0];
  float sum_w = 0.0f;
  float sum_x = 0.0f;
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::fill(L, L + n, 0);
    *neg_min = -lo;
    return 0.0f;
  }
  float inv_scale = static_cast<float>(n_max) / (hi - lo);
  float scale = 1 / inv_scale;
  float best_error = 0.0f;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<uint8_t>(clamp_int(nearest_int(inv_scale * (x[i] - lo)), 0, n_max));
    const float diff = scale * L[i] + lo - x[i];
    best_error += w[i] * (diff * diff);
  }
  uint8_t trial[QK_K];
  for (int step = 0; step <= n_steps; ++step) {
    inv_scale = (grid_start + grid_step * static_cast<float>(step) + static_cast<float>(n_max)) / (hi - lo);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest_int(inv_scale * (x[i] - lo)), 0, n_max);
      trial[i] = static_cast<uint8_t>(l);
      const float wl = w[i] * static_cast<float>(l);
      sum_l += wl;
      sum_l2 += wl * static_cast<float>(l);
      sum_xl += wl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det <= 0) continue;
    float trial_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float trial_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (trial_min > 0) {
      trial_min = 0;
      trial_scale = sum_xl / sum_l2;
    }
    float error = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float diff = trial_scale * trial[i] + trial_min - x[i];
      error += w[i] * (diff * diff);
    }
    if (error < best_error) {
      std::copy(trial, trial + n, L);
      best_error = error;
      scale = trial_scale;
      lo = trial_min;
    }
  }
  *neg_min = -lo;
  return scale;
}

// Symmetric fit x ≈ scale * (L - n_max) with L - n_max in [-n_max, n_max - 1], weighted by x².
// Tries 18 grids around the one that maps the extreme value to -n_max and keeps the scale that
// maximises the weighted projection (equivalently minimises the weighted squared error).
float fit_symmetric_scale(int n, int n_max, const float* x, int8_t* L) {
  float amax = 0.0f;
  float extreme = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      extreme = x[i];
    }
  }
  if (amax < kGroupEpsilon) {
    std::fill(L, L + n, 0);
    return 0.0f;
  }
  auto project = [&](float inv_scale, float* sum_xl, float* sum_l2) {
    *sum_xl = 0.0f;
    *sum_l2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest_int(inv_scale * x[i]), -n_max, n_max - 1);
      const float w = x[i] * x[i];
      *sum_xl += w * x[i] * static_cast<float>(l);
      *sum_l2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
  };
  auto assign = [&](float inv_scale) {
    for (int i = 0; i < n; ++i)
      L[i] = static_cast<int8_t>(n_max + clamp_int(nearest_int(inv_scale * x[i]), -n_max, n_max - 1));
  };
  float inv_scale = static_cast<float>(-n_max) / extreme;
  float sum_xl, sum_l2;
  project(inv_scale, &sum_xl, &sum_l2);
  assign(inv_scale);
  float scale = sum_l2 != 0.0f ? sum_xl / sum_l2 : 0.0f;
  float best = scale * sum_xl;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    inv_scale = -(static_cast<float>(n_max) + 0.1f * static_cast<float>(step)) / extreme;
    project(inv_scale, &sum_xl, &sum_l2);
    if (sum_l2 > 0 && sum_xl * sum_xl > best * sum_l2) {
      assign(inv_scale);
      scale = sum_xl / sum_l2;
      best = scale * sum_xl;
    }
  }
  return scale;
}

// Packs eight 6-bit scales and mins into the 12-byte Q4_K/Q5_K layout: sub-blocks 0..3 keep their
// low 6 bits in bytes 0..7; sub-blocks 4..7 store low nibbles in bytes 8..11 and their top two
// bits in the spare top bits of bytes 0..7.
void pack_k_scales(const uint8_t* scale, const uint8_t* min, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = scale[j];
    out[j + 4] = min[j];
  }
  for (int j = 4; j < 8; ++j) {
    out[j + 4] = static_cast<uint8_t>((scale[j] & 0xF) | ((min[j] & 0xF) << 4));
    out[j - 4] |= static_cast<uint8_t>((scale[j] >> 4) << 6);
    out[j] |= static_cast<uint8_t>((min[j] >> 4) << 6);
  }
}

// Shared first half of Q4_K and Q5_K: fits the eight 32-element sub-blocks, stores the quantized
// scales/mins and the two fp16 super-scales, and leaves each element's level (0..n_max) in L.
template <typename Block>
void quantize_k_super_block(const float* x, Block* y, int n_max, float grid_start, int n_steps,
                            uint8_t* L) {
  float scales[8];
  float mins[8];
  float weights[32];
  float max_scale = 0.0f;
  float max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    // Weight larger elements more, on top of a floor set by the sub-block's RMS.
    const float rms = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = rms + std::fabs(xs[l]);
    scales[j] = fit_scale_and_min(32, n_max, xs, weights, L + 32 * j, &mins[j], grid_start, 0.1f, n_steps);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.0f;
  uint8_t q_scale[8];
  uint8_t q_min[8];
  for (int j = 0; j < 8; ++j) {
    q_scale[j] = static_cast<uint8_t>(std::min(63, nearest_int(inv_scale * scales[j])));
    q_min[j] = static_cast<uint8_t>(std::min(63, nearest_int(inv_min * mins[j])));
  }
  pack_k_scales(q_scale, q_min, y->scales);
  y->d = f32_to_fp16(max_scale / 63.f);
  y->dmin = f32_to_fp16(max_min / 63.f);
  // Requantize against the scales actually stored, so rounding of the scales is compensated.
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    unpack_k_scale_min(j, y->scales, &sc, &m);
    const float d = fp16_to_f32(y->d) * sc;
    if (d == 0.0f) continue;
    const float dm = fp16_to_f32(y->dmin) * m;
    for (int l = 0; l < 32; ++l)
      L[32 * j + l] = static_cast<uint8_t>(clamp_int(nearest_int((x[32 * j + l] + dm) / d), 0, n_max));
  }
}

}  // namespace

void unpack_k_scale_min(int j, const uint8_t* scales, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = scales[j] & 63;
    *min = scales[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}

void quantize_row_q4_K(const float* x, BlockQ4_K* y, int64_t n) {
  uint8_t L[QK_K];
  for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    quantize_k_super_block(x, &y[b], 15, -1.0f, 20, L);
    // Each 64-element chunk: the first 32 levels in low nibbles, the next 32 in high nibbles.
    for (int c = 0; c < QK_K / 64; ++c)
      for (int l = 0; l < 32; ++l)
        y[b].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

void quantize_row_q5_K(const float* x, BlockQ5_K* y, int64_t n) {
  uint8_t L[QK_K];
  for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    quantize_k_super_block(x, &y[b], 31, -0.5f, 15, L);
    // As Q4_K for the low 4 bits; bit 4 of chunk c goes to qh bit 2c (first half) / 2c+1 (second).
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    for (int c = 0; c < QK_K / 64; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t q0 = L[64 * c + l];
        const uint8_t q1 = L[64 * c + 32 + l];
        y[b].qs[32 * c + l] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
        y[b].qh[l] |= static_cast<uint8_t>(((q0 >> 4) << (2 * c)) | ((q1 >> 4) << (2 * c + 1)));
      }
    }
  }
}

void quantize_row_q6_K(const float* x, BlockQ6_K* y, int64_t n) {
  int8_t L[QK_K];
  float scales[QK_K / 16];
  for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    float max_scale = 0.0f;
    float max_abs_scale = 0.0f;
    for (int g = 0; g < QK_K / 16; ++g) {
      scales[g] = fit_symmetric_scale(16, 32, x + 16 * g, L + 16 * g);
      if (std::fabs(scales[g]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[g]);
        max_scale = scales[g];
      }
    }
    if (max_abs_scale < kGroupEpsilon) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    const float inv_scale = -128.f / max_scale;
    y[b].d = f32_to_fp16(1 / inv_scale);
    for (int g = 0; g < QK_K / 16; ++g)
      y[b].scales[g] = static_cast<int8_t>(std::min(127, nearest_int(inv_scale * scales[g])));
    for (int g = 0; g < QK_K / 16; ++g) {
      const float d = fp16_to_f32(y[b].d) * y[b].scales[g];
      if (d == 0.0f) continue;
      for (int l = 0; l < 16; ++l)
        L[16 * g + l] = static_cast<int8_t>(clamp_int(nearest_int(x[16 * g + l] / d), -32, 31) + 32);
    }
    // Per 128-element half: ql[l] holds elements l (low) and l+64 (high nibble), ql[l+32] holds
    // l+32 and l+96; qh[l] holds the top two bits of l, l+32, l+64, l+96 in bit pairs 0..3.
    for (int h = 0; h < QK_K / 128; ++h) {
      const int8_t* q = L + 128 * h;
      uint8_t* ql = y[b].ql + 64 * h;
      uint8_t* qh = y[b].qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) |
                                     ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

void set_q8_K_block_sums(BlockQ8_K& block) {
  for (int g = 0; g < QK_K / 16; ++g) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += block.qs[16 * g + l];
    block.bsums[g] = static_cast<int16_t>(sum);
  }
}

void quantize_row_q8_K(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    float amax = 0.0f;
    float extreme = 0.0f;
    for (int j = 0; j < QK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        extreme = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    // -127 (not -128) keeps the extreme inside the symmetric int8 range the SIMD kernels assume.
    const float inv_scale = -127.f / extreme;
    for (int j = 0; j < QK_K; ++j) y[b].qs[j] = static_cast<int8_t>(std::min(127, nearest_int(inv_scale * x[j])));
    set_q8_K_block_sums(y[b]);
    y[b].d = 1 / inv_scale;
  }
}

void dequantize_row_q4_K(const BlockQ4_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const float dmin = fp16_to_f32(x[b].dmin);
    for (int c = 0; c < QK_K / 64; ++c, y += 64) {
      const uint8_t* q = x[b].qs + 32 * c;
      uint8_t sc, m;
      unpack_k_scale_min(2 * c, x[b].scales, &sc, &m);
      const float d0 = d * sc, m0 = dmin * m;
      unpack_k_scale_min(2 * c + 1, x[b].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      for (int l = 0; l < 32; ++l) y[l] = d0 * static_cast<float>(q[l] & 0xF) - m0;
      for (int l = 0; l < 32; ++l) y[32 + l] = d1 * static_cast<float>(q[l] >> 4) - m1;
    }
  }
}

void dequantize_row_q5_K(const BlockQ5_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    const float dmin = fp16_to_f32(x[b].dmin);
    for (int c = 0; c < QK_K / 64; ++c, y += 64) {
      const uint8_t* q = x[b].qs + 32 * c;
      const uint8_t* qh = x[b].qh;
      uint8_t sc, m;
      unpack_k_scale_min(2 * c, x[b].scales, &sc, &m);
      const float d0 = d * sc, m0 = dmin * m;
      unpack_k_scale_min(2 * c + 1, x[b].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      for (int l = 0; l < 32; ++l) {
        const int h = ((qh[l] >> (2 * c)) & 1) << 4;
        y[l] = d0 * static_cast<float>((q[l] & 0xF) + h) - m0;
      }
      for (int l = 0; l < 32; ++l) {
        const int h = ((qh[l] >> (2 * c + 1)) & 1) << 4;
        y[32 + l] = d1 * static_cast<float>((q[l] >> 4) + h) - m1;
      }
    }
  }
}

void dequantize_row_q6_K(const BlockQ6_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const float d = fp16_to_f32(x[b].d);
    for (int h = 0; h < QK_K / 128; ++h, y += 128) {
      const uint8_t* ql = x[b].ql + 64 * h;
      const uint8_t* qh = x[b].qh + 32 * h;
      const int8_t* sc = x[b].scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        const int g = l / 16;
        const int q0 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q1 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[g]) * static_cast<float>(q0);
        y[l + 32] = d * static_cast<float>(sc[g + 2]) * static_cast<float>(q1);
        y[l + 64] = d * static_cast<float>(sc[g + 4]) * static_cast<float>(q2);
        y[l + 96] = d * static_cast<float>(sc[g + 6]) * static_cast<float>(q3);
      }
    }
  }
}

void dequantize_row_q8_K(const BlockQ8_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / QK_K; ++b, y += QK_K)
    for (int j = 0; j < QK_K; ++j) y[j] = x[b].d * static_cast<float>(x[b].qs[j]);
}

}  // namespace tachyon
