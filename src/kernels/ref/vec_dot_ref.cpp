// Scalar twins of every dot-product kernel. Each one sums integers per block and scales
// them in float in exactly the order of ggml's generic (non-SIMD) code, so they are the
// reference the SIMD kernels are tested against, and the fallback on any CPU.
#include <cstring>

#include "gguf/quantize.h"
#include "kernels/vec_dot_kernels.h"
#include "util/fp16.h"

namespace tachyon {

namespace {

float dot_f32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

float dot_f16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(fp16_to_f32(x[i]) * fp16_to_f32(y[i]));
  return static_cast<float>(sum);
}

float dot_bf16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16_to_f32(x[i]) * bf16_to_f32(y[i]));
  return static_cast<float>(sum);
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK4_0; ++b) {
    int lo = 0, hi = 0;
    for (int j = 0; j < QK4_0 / 2; ++j) {
      lo += ((x[b].qs[j] & 0x0F) - 8) * y[b].qs[j];
      hi += ((x[b].qs[j] >> 4) - 8) * y[b].qs[j + QK4_0 / 2];
    }
    sum += static_cast<float>(lo + hi) * fp16_to_f32(x[b].d) * fp16_to_f32(y[b].d);
  }
  return sum;
}

float dot_q4_1(int64_t n, const void* w, const void* a) {
  const BlockQ4_1* x = static_cast<const BlockQ4_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK4_1; ++b) {
    int lo = 0, hi = 0;
    for (int j = 0; j < QK4_1 / 2; ++j) {
      lo += (x[b].qs[j] & 0x0F) * y[b].qs[j];
      hi += (x[b].qs[j] >> 4) * y[b].qs[j + QK4_1 / 2];
    }
    sum += (fp16_to_f32(x[b].d) * fp16_to_f32(y[b].d)) * static_cast<float>(lo + hi) +
           fp16_to_f32(x[b].m) * fp16_to_f32(y[b].s);
  }
  return sum;
}

// Fifth bits of a Q5 block: bit j is the high bit of element j.
uint32_t load_qh(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return bits;
}

float dot_q5_0(int64_t n, const void* w, const void* a) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK5_0; ++b) {
    const uint32_t qh = load_qh(x[b].qh);
    int lo = 0, hi = 0;
    for (int j = 0; j < QK5_0 / 2; ++j) {
      const int h0 = ((qh >> j) & 1) << 4;
      const int h1 = ((qh >> (j + 16)) & 1) << 4;
      lo += (((x[b].qs[j] & 0x0F) | h0) - 16) * y[b].qs[j];
      hi += (((x[b].qs[j] >> 4) | h1) - 16) * y[b].qs[j + QK5_0 / 2];
    }
    sum += (fp16_to_f32(x[b].d) * fp16_to_f32(y[b].d)) * static_cast<float>(lo + hi);
  }
  return sum;
}

float dot_q5_1(int64_t n, const void* w, const void* a) {
  const BlockQ5_1* x = static_cast<const BlockQ5_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK5_1; ++b) {
    const uint32_t qh = load_qh(x[b].qh);
    int lo = 0, hi = 0;
    for (int j = 0; j < QK5_1 / 2; ++j) {
      const int h0 = ((qh >> j) & 1) << 4;
      const int h1 = ((qh >> (j + 16)) & 1) << 4;
      lo += ((x[b].qs[j] & 0x0F) | h0) * y[b].qs[j];
      hi += ((x[b].qs[j] >> 4) | h1) * y[b].qs[j + QK5_1 / 2];
    }
    sum += (fp16_to_f32(x[b].d) * fp16_to_f32(y[b].d)) * static_cast<float>(lo + hi) +
           fp16_to_f32(x[b].m) * fp16_to_f32(y[b].s);
  }
  return sum;
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK8_0; ++b) {
    int s = 0;
    for (int j = 0; j < QK8_0; ++j) s += x[b].qs[j] * y[b].qs[j];
    sum += static_cast<float>(s) * (fp16_to_f32(x[b].d) * fp16_to_f32(y[b].d));
  }
  return sum;
}

// The k-quant twins keep ggml's eight interleaved int32/float lanes (element i of every
// 8-element group goes to lane i % 8), which fixes their float summation order.
struct KLanes {
  float sums[8] = {};
  int32_t ints[8];

  void begin_block() { std::memset(ints, 0, sizeof ints); }
  // Adds scale * q[i] * q8[i] for 8*n_groups elements starting at q / q8.
  void add(int32_t scale, const int8_t* q, const int8_t* q8, int n_groups) {
    for (int g = 0; g < n_groups; ++g) {
      for (int l = 0; l < 8; ++l) {
        const int16_t prod = static_cast<int16_t>(q[8 * g + l] * q8[8 * g + l]);
        ints[l] += scale * prod;
      }
    }
  }
  void end_block(float d) {
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(ints[l]);
  }
};

// Shared tail of Q4_K and Q5_K: q holds the 256 unpacked unsigned values of one super-block.
void add_k4_block(KLanes& lanes, float& sum, const uint8_t* scale_bytes, uint16_t d_bits,
                  uint16_t dmin_bits, const int8_t* q, const BlockQ8_K& y) {
  uint8_t scales[8], mins[8];
  for (int j = 0; j < 8; ++j) unpack_k_scale_min(j, scale_bytes, &scales[j], &mins[j]);
  int min_sum = 0;
  for (int j = 0; j < QK_K / 16; ++j) min_sum += y.bsums[j] * mins[j / 2];
  lanes.begin_block();
  for (int j = 0; j < QK_K / 32; ++j) lanes.add(scales[j], q + 32 * j, y.qs + 32 * j, 4);
  lanes.end_block(fp16_to_f32(d_bits) * y.d);
  const float dmin = fp16_to_f32(dmin_bits) * y.d;
  sum -= dmin * static_cast<float>(min_sum);
}

float dot_q4_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  KLanes lanes;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    int8_t q[QK_K];
    for (int j = 0; j < QK_K / 64; ++j) {
      for (int l = 0; l < 32; ++l) {
        q[64 * j + l] = static_cast<int8_t>(x[b].qs[32 * j + l] & 0x0F);
        q[64 * j + 32 + l] = static_cast<int8_t>(x[b].qs[32 * j + l] >> 4);
      }
    }
    add_k4_block(lanes, sum, x[b].scales, x[b].d, x[b].dmin, q, y[b]);
  }
  for (int l = 0; l < 8; ++l) sum += lanes.sums[l];
  return sum;
}

float dot_q5_K(int64_t n, const void* w, const void* a) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  KLanes lanes;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    int8_t q[QK_K];
    for (int j = 0; j < QK_K / 64; ++j) {
      const uint8_t bit_lo = static_cast<uint8_t>(1u << (2 * j));
      const uint8_t bit_hi = static_cast<uint8_t>(1u << (2 * j + 1));
      for (int l = 0; l < 32; ++l) {
        const uint8_t packed = x[b].qs[32 * j + l];
        const uint8_t high = x[b].qh[l];
        q[64 * j + l] = static_cast<int8_t>((packed & 0x0F) + ((high & bit_lo) ? 16 : 0));
        q[64 * j + 32 + l] = static_cast<int8_t>((packed >> 4) + ((high & bit_hi) ? 16 : 0));
      }
    }
    add_k4_block(lanes, sum, x[b].scales, x[b].d, x[b].dmin, q, y[b]);
  }
  for (int l = 0; l < 8; ++l) sum += lanes.sums[l];
  return sum;
}

float dot_q6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  KLanes lanes;
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    int8_t q[QK_K];
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[b].ql + 64 * half;
      const uint8_t* qh = x[b].qh + 32 * half;
      int8_t* out = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        out[l] = static_cast<int8_t>(((ql[l] & 0x0F) | ((qh[l] & 0x03) << 4)) - 32);
        out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 0x03) << 4)) - 32);
        out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 0x03) << 4)) - 32);
        out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 0x03) << 4)) - 32);
      }
    }
    lanes.begin_block();
    for (int j = 0; j < QK_K / 16; ++j) lanes.add(x[b].scales[j], q + 16 * j, y[b].qs + 16 * j, 2);
    lanes.end_block(fp16_to_f32(x[b].d) * y[b].d);
  }
  for (int l = 0; l < 8; ++l) sum += lanes.sums[l];
  return sum;
}

// The scalar multi-column kernel: the single-row kernel once per column, so it is the
// definition the SIMD multi-column kernels must reproduce column by column.
template <VecDotFn Dot>
void per_column(int64_t n, const void* w, const void* a, size_t act_stride, float* out) {
  const uint8_t* rows = static_cast<const uint8_t*>(a);
  for (int c = 0; c < kVecDotColumns; ++c) out[c] = Dot(n, w, rows + act_stride * static_cast<size_t>(c));
}

}  // namespace

VecDotFn vec_dot_kernel_scalar(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return dot_f32;
    case GgmlType::F16: return dot_f16;
    case GgmlType::BF16: return dot_bf16;
    case GgmlType::Q4_0: return dot_q4_0;
    case GgmlType::Q4_1: return dot_q4_1;
    case GgmlType::Q5_0: return dot_q5_0;
    case GgmlType::Q5_1: return dot_q5_1;
    case GgmlType::Q8_0: return dot_q8_0;
    case GgmlType::Q4_K: return dot_q4_K;
    case GgmlType::Q5_K: return dot_q5_K;
    case GgmlType::Q6_K: return dot_q6_K;
    default: return nullptr;
  }
}

VecDotColumnsFn vec_dot_columns_kernel_scalar(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return per_column<dot_f32>;
    case GgmlType::F16: return per_column<dot_f16>;
    case GgmlType::BF16: return per_column<dot_bf16>;
    case GgmlType::Q4_0: return per_column<dot_q4_0>;
    case GgmlType::Q4_1: return per_column<dot_q4_1>;
    case GgmlType::Q5_0: return per_column<dot_q5_0>;
    case GgmlType::Q5_1: return per_column<dot_q5_1>;
    case GgmlType::Q8_0: return per_column<dot_q8_0>;
    case GgmlType::Q4_K: return per_column<dot_q4_K>;
    case GgmlType::Q5_K: return per_column<dot_q5_K>;
    case GgmlType::Q6_K: return per_column<dot_q6_K>;
    default: return nullptr;
  }
}

}  // namespace tachyon
