// AVX2 + F16C + FMA f16-row kernels: eight halves widened per instruction; dot keeps two
// accumulators (an attention head of 64 or 128 needs few steps) and reduces once.
#include <immintrin.h>

#include "kernels/half_row_ops.h"

namespace tachyon {

namespace {

__m256 load_half(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

float half_scalar(uint16_t h) { return _cvtsh_ss(h); }

float dot(const float* a, const uint16_t* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load_half(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), load_half(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load_half(b + i), acc0);
  const __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; i < n; ++i) sum += a[i] * half_scalar(b[i]);
  return sum;
}

void axpy(float a, const uint16_t* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, load_half(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * half_scalar(x[i]);
}

}  // namespace

HalfRowOps half_row_ops_avx2() { return {dot, axpy}; }

}  // namespace tachyon
