#pragma once
// Device-side reads of 8 consecutive weights of one row, dequantized to f32 exactly as
// gguf/quantize*.cpp dequantize them (same products in the same order), for every weight type
// the CUDA kernels take. Row layouts are the GGUF file's, byte for byte.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gguf/ggml_type.h"

namespace tachyon::cuda {

__device__ __forceinline__ float half_bits_to_f32(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }

__device__ __forceinline__ uint16_t load_u16(const uint8_t* p) {
  return uint16_t(p[0]) | uint16_t(uint16_t(p[1]) << 8);
}

__device__ __forceinline__ void unpack_scale_min(int j, const uint8_t* scales, int& scale, int& min) {
  if (j < 4) {
    scale = scales[j] & 63;
    min = scales[j + 4] & 63;
  } else {
    scale = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// out[i] = element k + i of the row, k a multiple of 8.
template <GgmlType T>
__device__ __forceinline__ void load8(const uint8_t* row, int64_t k, float out[8]);

template <>
__device__ __forceinline__ void load8<GgmlType::F32>(const uint8_t* row, int64_t k, float out[8]) {
  const float4* p = reinterpret_cast<const float4*>(row + k * 4);
  const float4 a = p[0], b = p[1];
  out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w;
  out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
}

template <>
__device__ __forceinline__ void load8<GgmlType::F16>(const uint8_t* row, int64_t k, float out[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(row + k * 2);
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    out[2 * i] = f.x, out[2 * i + 1] = f.y;
  }
}

template <>
__device__ __forceinline__ void load8<GgmlType::BF16>(const uint8_t* row, int64_t k, float out[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(row + k * 2);
  const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = __uint_as_float(w[i] << 16);
    out[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

template <>
__device__ __forceinline__ void load8<GgmlType::Q8_0>(const uint8_t* row, int64_t k, float out[8]) {
  const uint8_t* block = row + (k / QK8_0) * sizeof(BlockQ8_0);
  const float d = half_bits_to_f32(load_u16(block));
  const int8_t* qs = reinterpret_cast<const int8_t*>(block + 2) + k % QK8_0;
  for (int i = 0; i < 8; ++i) out[i] = float(qs[i]) * d;
}

template <>
__device__ __forceinline__ void load8<GgmlType::Q4_0>(const uint8_t* row, int64_t k, float out[8]) {
  const uint8_t* block = row + (k / QK4_0) * sizeof(BlockQ4_0);
  const float d = half_bits_to_f32(load_u16(block));
  const int j = int(k % QK4_0);
  const uint8_t* qs = block + 2 + (j & 15);
  const int shift = j < 16 ? 0 : 4;
  for (int i = 0; i < 8; ++i) out[i] = float(int((qs[i] >> shift) & 0xF) - 8) * d;
}

template <>
__device__ __forceinline__ void load8<GgmlType::Q4_K>(const uint8_t* row, int64_t k, float out[8]) {
  const uint8_t* block = row + (k / QK_K) * sizeof(BlockQ4_K);
  const float d = half_bits_to_f32(load_u16(block)), dmin = half_bits_to_f32(load_u16(block + 2));
  const int e = int(k % QK_K), chunk = e / 64, within = e % 64;
  int sc, m;
  unpack_scale_min(2 * chunk + (within >= 32), block + 4, sc, m);
  const float d1 = d * float(sc), m1 = dmin * float(m);
  const uint8_t* q = block + 4 + K_SCALE_SIZE + 32 * chunk + within % 32;
  const int shift = within < 32 ? 0 : 4;
  // Rounded multiply then subtract, as the CPU twin computes it (no fused multiply-add).
  for (int i = 0; i < 8; ++i) out[i] = __fsub_rn(__fmul_rn(d1, float((q[i] >> shift) & 0xF)), m1);
}

template <>
__device__ __forceinline__ void load8<GgmlType::Q6_K>(const uint8_t* row, int64_t k, float out[8]) {
  const uint8_t* block = row + (k / QK_K) * sizeof(BlockQ6_K);
  const int e = int(k % QK_K), half = e / 128, quarter = (e % 128) / 32, l = e % 32;
  const uint8_t* ql = block + 64 * half + (quarter & 1) * 32 + l;
  const uint8_t* qh = block + QK_K / 2 + 32 * half + l;
  const int8_t scale = reinterpret_cast<const int8_t*>(block + QK_K / 2 + QK_K / 4)[8 * half + l / 16 + 2 * quarter];
  const float d = half_bits_to_f32(load_u16(block + QK_K / 2 + QK_K / 4 + QK_K / 16));
  const int low_shift = quarter < 2 ? 0 : 4, high_shift = 2 * quarter;
  for (int i = 0; i < 8; ++i) {
    const int q = int(((ql[i] >> low_shift) & 0xF) | (((qh[i] >> high_shift) & 3) << 4)) - 32;
    out[i] = d * float(scale) * float(q);
  }
}

}  // namespace tachyon::cuda
