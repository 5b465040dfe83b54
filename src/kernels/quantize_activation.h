#pragma once
// Q8_0 quantization of activation rows, the conversion in front of every Q8_0 and Q4_0 dot
// product. Dispatched once on active_isa(); every level writes the same bytes as gguf's scalar
// quantize_row_q8_0, which is its scalar twin. Pure functions, safe from any thread.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

using QuantizeQ8_0Fn = void (*)(const float* x, BlockQ8_0* y, int64_t n);

// quantize_row_q8_0(x, y, n), n a multiple of 32, with the kernel of active_isa().
void quantize_activation_q8_0(const float* x, BlockQ8_0* y, int64_t n);
// The kernel of one level (for tests); a level this CPU lacks is clamped to detect_isa().
QuantizeQ8_0Fn quantize_q8_0_kernel(Isa isa);

// AVX2 kernel, defined in x86/.
void quantize_row_q8_0_avx2(const float* x, BlockQ8_0* y, int64_t n);

}  // namespace tachyon
