// The 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1). The float expressions keep
// ggml's evaluation order so that results are bit-identical with ggml's reference converters.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gguf/quantize.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

// The element of largest magnitude, sign kept (the first one on ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* lo, float* hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *lo) *lo = x[j];
    if (x[j] > *hi) *hi = x[j];
  }
}

// Sets bit `bit` of the 32-bit high-bit mask for every element whose 5-bit code has bit 4 set.
void set_high_bit(uint32_t* qh, unsigned code, int bit) { *qh |= ((code >> 4) & 1u) << bit; }

}  // namespace

void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n) {
  constexpr int half = QK4_0 / 2;
  for (int64_t b = 0; b < n / QK4_0; ++b, x += QK4_0) {
    // The extreme maps to -8, so the full signed range [-8, 7] is used.
    const float d = signed_absmax(x, QK4_0) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    for (int j = 0; j < half; ++j) {
      const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<int8_t>(x[half + j] * id + 8.5f)));
      y[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n) {
  constexpr int half = QK4_1 / 2;
  for (int64_t b = 0; b < n / QK4_1; ++b, x += QK4_1) {
    float lo, hi;
    min_max(x, QK4_1, &lo, &hi);
    const float d = (hi - lo) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    y[b].m = f32_to_fp16(lo);
    for (int j = 0; j < half; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j] - lo) * id + 0.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>((x[half + j] - lo) * id + 0.5f)));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n) {
  constexpr int half = QK5_0 / 2;
  for (int64_t b = 0; b < n / QK5_0; ++b, x += QK5_0) {
    const float d = signed_absmax(x, QK5_0) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < half; ++j) {
      const unsigned q0 = static_cast<unsigned>(std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f))));
      const unsigned q1 =
          static_cast<unsigned>(std::min(31, static_cast<int>(static_cast<int8_t>(x[half + j] * id + 16.5f))));
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      set_high_bit(&qh, q0, j);
      set_high_bit(&qh, q1, j + half);
    }
    std::memcpy(y[b].qh, &qh, sizeof(qh));
  }
}

void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n) {
  constexpr int half = QK5_1 / 2;
  for (int64_t b = 0; b < n / QK5_1; ++b, x += QK5_1) {
    float lo, hi;
    min_max(x, QK5_1, &lo, &hi);
    const float d = (hi - lo) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    y[b].m = f32_to_fp16(lo);
    uint32_t qh = 0;
    for (int j = 0; j < half; ++j) {
      const unsigned q0 = static_cast<unsigned>(std::min(31, static_cast<int>((x[j] - lo) * id + 0.5f)));
      const unsigned q1 = static_cast<unsigned>(std::min(31, static_cast<int>((x[half + j] - lo) * id + 0.5f)));
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      set_high_bit(&qh, q0, j);
      set_high_bit(&qh, q1, j + half);
    }
    std::memcpy(y[b].qh, &qh, sizeof(qh));
  }
}

void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    for (int j = 0; j < QK8_0; ++j) y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n) {
  for (int64_t b = 0; b < n / QK8_1; ++b, x += QK8_1) {
    float amax = 0.0f;
    for (int j = 0; j < QK8_1; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < QK8_1; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
      sum += y[b].qs[j];
    }
    // The sum lets Q4_1/Q5_1 dot products apply the block minimum in one multiply.
    y[b].s = f32_to_fp16(static_cast<float>(sum) * d);
  }
}

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n) {
  constexpr int half = QK4_0 / 2;
  for (int64_t b = 0; b < n / QK4_0; ++b, y += QK4_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int j = 0; j < half; ++j) {
      y[j] = static_cast<float>((x[b].qs[j] & 0xF) - 8) * d;
      y[j + half] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n) {
  constexpr int half = QK4_1 / 2;
  for (int64_t b = 0; b < n / QK4_1; ++b, y += QK4_1) {
    const float d = fp16_to_f32(x[b].d);
    const float m = fp16_to_f32(x[b].m);
    for (int j = 0; j < half; ++j) {
      y[j] = static_cast<float>(x[b].qs[j] & 0xF) * d + m;
      y[j + half] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n) {
  constexpr int half = QK5_0 / 2;
  for (int64_t b = 0; b < n / QK5_0; ++b, y += QK5_0) {
    const float d = fp16_to_f32(x[b].d);
    uint32_t qh;
    std::memcpy(&qh, x[b].qh, sizeof(qh));
    for (int j = 0; j < half; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + half)) & 1u) << 4;
      y[j] = static_cast<float>(((x[b].qs[j] & 0xF) | h0) - 16) * d;
      y[j + half] = static_cast<float>(((x[b].qs[j] >> 4) | h1) - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n) {
  constexpr int half = QK5_1 / 2;
  for (int64_t b = 0; b < n / QK5_1; ++b, y += QK5_1) {
    const float d = fp16_to_f32(x[b].d);
    const float m = fp16_to_f32(x[b].m);
    uint32_t qh;
    std::memcpy(&qh, x[b].qh, sizeof(qh));
    for (int j = 0; j < half; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + half)) & 1u) << 4;
      y[j] = static_cast<float>((x[b].qs[j] & 0xF) | h0) * d + m;
      y[j + half] = static_cast<float>((x[b].qs[j] >> 4) | h1) * d + m;
    }
  }
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / QK8_0; ++b, y += QK8_0) {
    const float d = fp16_to_f32(x[b].d);
    for (int j = 0; j < QK8_0; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

}  // namespace tachyon
