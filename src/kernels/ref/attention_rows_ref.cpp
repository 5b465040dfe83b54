// Scalar twins of the attention row kernels: the SIMD formulas one element at a time, with
// std::fma where those fuse and their eight-lane order for sums, so the results are the same
// bits. std::fma is exact on every CPU (a library call where the baseline lacks FMA).
#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"
#include "kernels/exp_polynomial.h"
#include "util/fp16.h"

namespace tachyon {

namespace {

// Element j of a row, widened exactly to f32.
float widen(const uint16_t* row, int64_t j) { return fp16_to_f32(row[j]); }
float widen(const float* row, int64_t j) { return row[j]; }
float widen(const BlockQ8_0* row, int64_t j) {
  const BlockQ8_0& b = row[j / QK8_0];
  return fp16_to_f32(b.d) * static_cast<float>(b.qs[j % QK8_0]);
}

// The SIMD kernels' horizontal sum of eight lanes.
float reduce_lanes(const float* l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

template <typename Elem>
void scores(const float* q, int64_t n_q, int64_t d, const Elem* const* k_rows, int64_t n_rows, float scale,
            float* out, int64_t out_stride) {
  const int64_t d8 = d - d % 8;
  for (int64_t r = 0; r < n_rows; ++r) {
    const Elem* k = k_rows[r];
    for (int64_t h = 0; h < n_q; ++h) {
      const float* qh = q + h * d;
      float lanes[8] = {};
      for (int64_t j = 0; j < d8; ++j) lanes[j % 8] = std::fma(qh[j], widen(k, j), lanes[j % 8]);
      float sum = reduce_lanes(lanes);
      for (int64_t j = d8; j < d; ++j) sum = std::fma(qh[j], widen(k, j), sum);
      out[h * out_stride + r] = sum * scale;
    }
  }
}

float exp_one(float x) {
  using namespace exp_polynomial;
  if (std::isnan(x)) return x;  // the integer conversion below is undefined for NaN
  x = std::min(std::max(x, kExpMin), kExpMax);
  const float n = std::nearbyint(x * kLog2e);
  float r = std::fma(n, -kLn2Hi, x);
  r = std::fma(n, -kLn2Lo, r);
  float p = kP0;
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = std::fma(p, r, c);
  p = std::fma(p, r * r, r) + 1.0f;
  const int32_t e = static_cast<int32_t>(n);
  const int32_t e1 = e >> 1;
  return (p * bits_to_f32(uint32_t(e1 + 127) << 23)) * bits_to_f32(uint32_t(e - e1 + 127) << 23);
}

void exp_values(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp_one(x[i]);
}

void softmax(float* x, int64_t n) {
  const float max = *std::max_element(x, x + n);
  float lanes[8] = {};
  for (int64_t i = 0; i < n; ++i) {
    x[i] = exp_one(x[i] - max);
    lanes[i % 8] += x[i];
  }
  const float inv_sum = 1.0f / reduce_lanes(lanes);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv_sum;
}

template <typename Elem>
void weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const Elem* const* v_rows,
                  int64_t n_rows, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const Elem* v = v_rows[r];
    for (int64_t h = 0; h < n_q; ++h) {
      const float a = w[h * w_stride + r];
      float* o = out + h * d;
      for (int64_t j = 0; j < d; ++j) o[j] = std::fma(a, widen(v, j), o[j]);
    }
  }
}

}  // namespace

AttentionRowOps attention_row_ops_scalar() {
  return {scores<uint16_t>, scores<float>, softmax, exp_values, weighted_sum<uint16_t>, weighted_sum<float>,
          scores<BlockQ8_0>, weighted_sum<BlockQ8_0>};
}

}  // namespace tachyon
