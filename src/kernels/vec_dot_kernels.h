#pragma once
// Per-level kernel tables, private to the kernels folder. Each returns nullptr for a type it
// has no kernel for, and vec_dot.cpp then falls back one level down.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/vec_dot.h"

namespace tachyon {

// Scalar twins: plain loops with ggml's generic integer sums and float scaling; every type.
VecDotFn vec_dot_kernel_scalar(GgmlType weight_type);
// AVX2 + FMA + F16C kernels (x86 only).
VecDotFn vec_dot_kernel_avx2(GgmlType weight_type);
// AVX-512 F/BW/DQ/VL + VNNI kernels (x86 only).
VecDotFn vec_dot_kernel_avx512(GgmlType weight_type);

// Multi-column twins (see VecDotColumnsFn), each bit-identical to its level's single-row
// kernel; nullptr for a type without one. The scalar table covers every type.
VecDotColumnsFn vec_dot_columns_kernel_scalar(GgmlType weight_type);
VecDotColumnsFn vec_dot_columns_kernel_avx2(GgmlType weight_type);

// Unpacks the eight 6-bit scales and mins of a Q4_K/Q5_K super-block; inline so that the
// SIMD kernels do not pay a call per sub-block.
inline void decode_k_scales(const uint8_t* packed, uint8_t* scales, uint8_t* mins) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scales[j] = static_cast<uint8_t>((packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4));
    mins[j] = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}

}  // namespace tachyon
