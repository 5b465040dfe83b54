#pragma once
// The intrinsics of the AVX-512 kernel files. Normally just <immintrin.h>.
//
// Built with TACHYON_EMULATE_AVX512 (a test-only build of the same sources, see
// tests/kernels/CMakeLists.txt), every AVX-512 intrinsic those files use is redirected to
// SIMDe's portable implementation (or, for the few SIMDe 0.7 lacks, to a plain one below), so
// the kernels' logic is checked against the scalar twins on CPUs without AVX-512. The kernel
// tables are then renamed *_emulated, so that both builds link into one test binary.
// Keep the list in step with the kernel files: a missing name fails that build.
#include <immintrin.h>

#if defined(TACHYON_EMULATE_AVX512)
#include <simde/x86/avx512.h>

#include <cstdint>
#include <cstring>

namespace tachyon::avx512_emulation {

// A 512-bit value from two 256-bit halves (low first), and back.
template <typename Full, typename Half>
Full join(Half lo, Half hi) {
  static_assert(sizeof(Full) == 2 * sizeof(Half));
  const Half halves[2] = {lo, hi};
  Full v;
  std::memcpy(&v, halves, sizeof v);
  return v;
}
template <typename Half, typename Full>
Half half_of(Full v, int upper) {
  Half halves[2];
  std::memcpy(halves, &v, sizeof halves);
  return halves[upper];
}

inline simde__m512 cvtph_ps(__m256i h) {
  return join<simde__m512>(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
}
inline simde__m512 cvtepi32_ps(simde__m512i v) {
  return join<simde__m512>(_mm256_cvtepi32_ps(half_of<__m256i>(v, 0)), _mm256_cvtepi32_ps(half_of<__m256i>(v, 1)));
}
inline simde__m512i cvtepi16_epi32(__m256i v) {
  return join<simde__m512i>(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(v)), _mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1)));
}
inline simde__m512i cvtepu16_epi32(__m256i v) {
  return join<simde__m512i>(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(v)), _mm256_cvtepu16_epi32(_mm256_extracti128_si256(v, 1)));
}
inline simde__m512i cvtepi8_epi32(__m128i v) {
  return join<simde__m512i>(_mm256_cvtepi8_epi32(v), _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
}

// The reduction order of GCC's _mm512_reduce_add_ps: halves, then quarters, then pairs.
inline float reduce_add_ps(simde__m512 v) {
  const __m256 h = _mm256_add_ps(half_of<__m256>(v, 1), half_of<__m256>(v, 0));
  const __m128 q = _mm_add_ps(_mm256_extractf128_ps(h, 1), _mm256_castps256_ps128(h));
  const __m128 p = _mm_add_ps(q, _mm_shuffle_ps(q, q, _MM_SHUFFLE(1, 0, 3, 2)));
  return _mm_cvtss_f32(p) + _mm_cvtss_f32(_mm_shuffle_ps(p, p, 1));
}
inline int32_t reduce_add_epi32(simde__m512i v) {
  int32_t lanes[16];
  std::memcpy(lanes, &v, sizeof lanes);
  int32_t sum = 0;
  for (int32_t lane : lanes) sum += lane;
  return sum;
}

inline simde__m512 maskz_loadu_ps(simde__mmask16 mask, const void* p) {
  float lanes[16] = {};
  for (int i = 0; i < 16; ++i) {
    if (mask >> i & 1) std::memcpy(&lanes[i], static_cast<const float*>(p) + i, sizeof(float));
  }
  return simde_mm512_loadu_ps(lanes);
}
inline __m256i maskz_loadu_epi16(simde__mmask16 mask, const void* p) {
  int16_t lanes[16] = {};
  for (int i = 0; i < 16; ++i) {
    if (mask >> i & 1) std::memcpy(&lanes[i], static_cast<const int16_t*>(p) + i, sizeof(int16_t));
  }
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lanes));
}

}  // namespace tachyon::avx512_emulation

#define __m512 simde__m512
#define __m512i simde__m512i
#define __mmask16 simde__mmask16
#define __mmask64 simde__mmask64

#undef _mm256_dpbusd_epi32  // a macro in GCC's AVX-VNNI header
#define _mm256_dpbusd_epi32 simde_mm256_dpbusd_epi32
#undef _mm256_dpwssd_epi32
#define _mm256_dpwssd_epi32 simde_mm256_dpwssd_epi32
#define _mm256_maskz_loadu_epi16 ::tachyon::avx512_emulation::maskz_loadu_epi16
#define _mm512_abs_epi8 simde_mm512_abs_epi8
#define _mm512_add_epi32 simde_mm512_add_epi32
#define _mm512_add_ps simde_mm512_add_ps
#define _mm512_and_si512 simde_mm512_and_si512
#define _mm512_broadcast_f32x4 simde_mm512_broadcast_f32x4
#define _mm512_broadcast_f32x8 simde_mm512_broadcast_f32x8
#define _mm512_castps256_ps512 simde_mm512_castps256_ps512
#define _mm512_castsi256_si512 simde_mm512_castsi256_si512
#define _mm512_castsi512_ps simde_mm512_castsi512_ps
#define _mm512_cvtepi16_epi32 ::tachyon::avx512_emulation::cvtepi16_epi32
#define _mm512_cvtepi32_ps ::tachyon::avx512_emulation::cvtepi32_ps
#define _mm512_cvtepi8_epi32 ::tachyon::avx512_emulation::cvtepi8_epi32
#define _mm512_cvtepu16_epi32 ::tachyon::avx512_emulation::cvtepu16_epi32
#define _mm512_cvtph_ps ::tachyon::avx512_emulation::cvtph_ps
#define _mm512_dpbusd_epi32 simde_mm512_dpbusd_epi32
#define _mm512_dpwssd_epi32 simde_mm512_dpwssd_epi32
#define _mm512_fmadd_ps simde_mm512_fmadd_ps
#define _mm512_fnmadd_ps simde_mm512_fnmadd_ps
#define _mm512_insertf32x8 simde_mm512_insertf32x8
#define _mm512_inserti64x4 simde_mm512_inserti64x4
#define _mm512_loadu_ps simde_mm512_loadu_ps
#define _mm512_loadu_si512 simde_mm512_loadu_si512
#define _mm512_mask_blend_epi32 simde_mm512_mask_blend_epi32
#define _mm512_mask_blend_ps simde_mm512_mask_blend_ps
#define _mm512_mask_sub_epi8 simde_mm512_mask_sub_epi8
#define _mm512_maskz_loadu_ps ::tachyon::avx512_emulation::maskz_loadu_ps
#define _mm512_movepi8_mask simde_mm512_movepi8_mask
#define _mm512_mul_ps simde_mm512_mul_ps
#define _mm512_mullo_epi32 simde_mm512_mullo_epi32
#define _mm512_permutex2var_ps simde_mm512_permutex2var_ps
#define _mm512_permutexvar_epi32 simde_mm512_permutexvar_epi32
#define _mm512_reduce_add_epi32 ::tachyon::avx512_emulation::reduce_add_epi32
#define _mm512_reduce_add_ps ::tachyon::avx512_emulation::reduce_add_ps
#define _mm512_set1_epi32 simde_mm512_set1_epi32
#define _mm512_set1_epi8 simde_mm512_set1_epi8
#define _mm512_set1_ps simde_mm512_set1_ps
#define _mm512_set_epi32 simde_mm512_set_epi32
#define _mm512_setzero_ps simde_mm512_setzero_ps
#define _mm512_setzero_si512 simde_mm512_setzero_si512
#define _mm512_shuffle_ps simde_mm512_shuffle_ps
#define _mm512_slli_epi32 simde_mm512_slli_epi32
#define _mm512_srli_epi16 simde_mm512_srli_epi16
#define _mm512_store_ps simde_mm512_store_ps
#define _mm512_storeu_ps simde_mm512_storeu_ps
#define _mm512_xor_si512 simde_mm512_xor_si512

#define attention_row_ops_avx512 attention_row_ops_avx512_emulated
#define packed_dot_kernel_avx512 packed_dot_kernel_avx512_emulated
#define packed_dot_pair_kernel_avx512 packed_dot_pair_kernel_avx512_emulated
#define vec_dot_kernel_avx512 vec_dot_kernel_avx512_emulated
#endif
