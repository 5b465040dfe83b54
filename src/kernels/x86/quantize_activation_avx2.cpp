// AVX2 Q8_0 quantizer, byte-identical to the scalar quantize_row_q8_0: max |x| is exact in any
// order, the scale and its inverse are the same scalar operations, and roundf (half away
// from zero) is rebuilt exactly as trunc(v) + copysign(1, v) where |v - trunc(v)| >= 0.5
// (v - trunc(v) is exact, and adding 0.5 first would round 0.49999997 up).
#include <immintrin.h>

#include <cstring>

#include "gguf/quantize.h"
#include "kernels/quantize_activation.h"
#include "util/fp16.h"

namespace tachyon {

void quantize_row_q8_0_avx2(const float* x, BlockQ8_0* y, int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t b = 0; b < n / QK8_0; ++b, x += QK8_0) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 8 * k);
      amax = _mm256_max_ps(_mm256_andnot_ps(sign, v[k]), amax);  // NaN keeps amax, as std::max does
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float d = _mm_cvtss_f32(m) / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);

    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
      const __m256 s = _mm256_mul_ps(v[k], vid);
      const __m256 t = _mm256_round_ps(s, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(s, t)), half, _CMP_GE_OQ);
      const __m256 step = _mm256_or_ps(_mm256_and_ps(s, sign), one);
      q[k] = _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_and_ps(away, step)));
    }
    // Saturating packs interleave the four vectors by 128-bit lane; the permute restores order.
    const __m256i q8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs),
                        _mm256_permutevar8x32_epi32(q8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  }
}

// Q8_K, byte-identical to the scalar quantize_row_q8_K: max |x| is exact in any order (NaNs
// skipped, as the scalar `>` skips them), the extreme is the first x reaching it, the scale
// and its inverse are the same scalar operations, and cvtps_epi32 rounds to nearest even as
// lrint does. A NaN or infinite product converts to INT_MIN, which lrint's int cast and the
// int8 truncation also make 0: the values are truncated to their low byte (shift up and back)
// before the saturating packs, so that the packs change nothing.
void quantize_row_q8_K_avx2(const float* x, BlockQ8_K* y, int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i max_q = _mm256_set1_epi32(127);
  for (int64_t b = 0; b < n / QK_K; ++b, x += QK_K) {
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < QK_K / 8; ++k) amax = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k)), amax);
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float max_abs = _mm_cvtss_f32(m);
    if (max_abs == 0.0f) {
      std::memset(&y[b], 0, sizeof(y[b]));
      continue;
    }
    int first = 0;
    for (int k = 0; k < QK_K / 8; ++k) {
      const __m256 abs = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * k));
      const int hits = _mm256_movemask_ps(_mm256_cmp_ps(abs, _mm256_set1_ps(max_abs), _CMP_EQ_OQ));
      if (hits != 0) {
        first = 8 * k + __builtin_ctz(static_cast<unsigned>(hits));
        break;
      }
    }
    const float inv_scale = -127.f / x[first];
    const __m256 vscale = _mm256_set1_ps(inv_scale);
    for (int c = 0; c < QK_K / 32; ++c) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const __m256i rounded = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * k), vscale));
        q[k] = _mm256_srai_epi32(_mm256_slli_epi32(_mm256_min_epi32(rounded, max_q), 24), 24);
      }
      const __m256i q8 = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs + 32 * c),
                          _mm256_permutevar8x32_epi32(q8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
    set_q8_K_block_sums(y[b]);
    y[b].d = 1 / inv_scale;
  }
}

// F16C's conversion rounds to nearest even like f32_to_fp16; a NaN becomes the scalar twin's
// quiet NaN (sign kept, payload dropped) rather than F16C's truncated payload.
void round_through_f16_avx2(const float* x, float* y, int64_t n) {
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
  const __m256i inf = _mm256_set1_epi32(0x7f800000);
  const __m256i quiet = _mm256_set1_epi32(0x7fc00000);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256i bits = _mm256_castps_si256(v);
    const __m256i rounded =
        _mm256_castps_si256(_mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, abs_mask), inf);
    const __m256i canonical = _mm256_or_si256(_mm256_andnot_si256(abs_mask, bits), quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_blendv_epi8(rounded, canonical, nan));
  }
  for (; i < n; ++i) y[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

// f32_to_bf16's integer rounding, eight lanes at a time: add 0x7fff plus the kept part's low
// bit and drop the low half; a NaN keeps its top half with the quiet bit set.
void round_through_bf16_avx2(const float* x, float* y, int64_t n) {
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
  const __m256i inf = _mm256_set1_epi32(0x7f800000);
  const __m256i top_half = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i bias = _mm256_set1_epi32(0x7fff);
  const __m256i quiet_bit = _mm256_set1_epi32(0x00400000);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
    const __m256i rounded = _mm256_and_si256(_mm256_add_epi32(_mm256_add_epi32(u, bias), lsb), top_half);
    const __m256i quieted = _mm256_and_si256(_mm256_or_si256(u, quiet_bit), top_half);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_blendv_epi8(rounded, quieted, nan));
  }
  for (; i < n; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
}

}  // namespace tachyon
