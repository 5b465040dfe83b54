#pragma once
// f32 vectors against rows of IEEE half floats: the inner loops of attention over an f16 KV
// cache (scores q.k and the weighted sum of v rows). Dispatched once on active_isa(); the
// scalar twins and the SIMD kernels differ only in float summation order. Pure functions.
#include <cstdint>

#include "kernels/isa.h"

namespace tachyon {

// sum of a[i] * half(b[i]).
float dot_f32_f16(const float* a, const uint16_t* b, int64_t n);
// y[i] += a * half(x[i]).
void axpy_f16(float a, const uint16_t* x, float* y, int64_t n);

struct HalfRowOps {
  float (*dot)(const float* a, const uint16_t* b, int64_t n);
  void (*axpy)(float a, const uint16_t* x, float* y, int64_t n);
};
// The kernels of one level (for tests); a level this CPU lacks is clamped to detect_isa().
HalfRowOps half_row_ops(Isa isa);

// Per-level tables, defined in ref/ and x86/.
HalfRowOps half_row_ops_scalar();
HalfRowOps half_row_ops_avx2();

}  // namespace tachyon
