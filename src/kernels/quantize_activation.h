#pragma once
// The conversions of activation rows in front of the packed dots: Q8_0 quantization (Q8_0 and
// Q4_0 weights), Q8_K quantization (the K-quants) and rounding through f16 or bf16 (F16 and BF16 weights). Dispatched once on
// active_isa(); every level writes the same bytes as its scalar twin (gguf's quantize_row_q8_0
// and quantize_row_q8_K, util/fp16.h's conversions). Pure functions, safe from any thread.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

using QuantizeQ8_0Fn = void (*)(const float* x, BlockQ8_0* y, int64_t n);

// quantize_row_q8_0(x, y, n), n a multiple of 32, with the kernel of active_isa().
void quantize_activation_q8_0(const float* x, BlockQ8_0* y, int64_t n);
// The kernel of one level (for tests); a level this CPU lacks is clamped to detect_isa().
QuantizeQ8_0Fn quantize_q8_0_kernel(Isa isa);

// quantize_row_q8_K(x, y, n), n a multiple of 256: the activations of the K-quant dots.
using QuantizeQ8_KFn = void (*)(const float* x, BlockQ8_K* y, int64_t n);
void quantize_activation_q8_K(const float* x, BlockQ8_K* y, int64_t n);
QuantizeQ8_KFn quantize_q8_K_kernel(Isa isa);

// y[i] = x[i] rounded to the nearest f16 (bf16) value, ties to even, widened back to a float:
// the activations of the packed F16 (BF16) dots, ggml's conversion of activations for those
// weights. Every level gives the bits of the scalar twin, fp16_to_f32(f32_to_fp16(x[i]))
// (bf16_to_f32(f32_to_bf16(x[i]))), NaNs included. y may alias x.
using RoundValuesFn = void (*)(const float* x, float* y, int64_t n);
void round_through_f16(const float* x, float* y, int64_t n);
void round_through_bf16(const float* x, float* y, int64_t n);
// The kernels of one level (for tests); a level this CPU lacks is clamped to detect_isa().
RoundValuesFn round_through_f16_kernel(Isa isa);
RoundValuesFn round_through_bf16_kernel(Isa isa);

// AVX2 kernels, defined in x86/.
void quantize_row_q8_0_avx2(const float* x, BlockQ8_0* y, int64_t n);
void quantize_row_q8_K_avx2(const float* x, BlockQ8_K* y, int64_t n);
void round_through_f16_avx2(const float* x, float* y, int64_t n);
void round_through_bf16_avx2(const float* x, float* y, int64_t n);

}  // namespace tachyon
