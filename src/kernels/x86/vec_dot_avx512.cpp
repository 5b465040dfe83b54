// AVX-512 (F/BW/DQ/VL) + VNNI dot products. The 8-bit paths use vpdpbusd, which multiplies
// unsigned by signed bytes and sums groups of four into int32 without saturation, so integer
// block sums are exact; only the order of float accumulation differs from the scalar twins.
// Types without a kernel here fall back to the AVX2 ones.
#include "kernels/x86/avx512_intrinsics.h"

#include "kernels/vec_dot_kernels.h"

namespace tachyon {

namespace {

__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i load512(const void* p) { return _mm512_loadu_si512(p); }

// lo in bytes 0..31, hi in bytes 32..63.
__m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Signed x signed bytes summed in groups of four into 16 int32 lanes. |x| times y with y's
// sign flipped where x is negative; y must not hold -128 there (Q8_0 never does).
__m512i dot_i8(__m512i x, __m512i y) {
  const __mmask64 negative = _mm512_movepi8_mask(x);
  const __m512i flipped = _mm512_mask_sub_epi8(y, negative, _mm512_setzero_si512(), y);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(x), flipped);
}

// d_lo in lanes 0..7, d_hi in lanes 8..15 (the two blocks of one 512-bit step).
__m512 two_scales(float d_lo, float d_hi) {
  return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(d_lo), _mm512_set1_ps(d_hi));
}

__m512i two_scales_i32(int s_lo, int s_hi) {
  return _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(s_lo), _mm512_set1_epi32(s_hi));
}

float half(uint16_t bits) { return _cvtsh_ss(bits); }

__mmask16 tail_mask(int64_t remaining) { return static_cast<__mmask16>((1u << remaining) - 1u); }

float dot_f32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16 * k), _mm512_loadu_ps(y + i + 16 * k), acc[k]);
    }
  }
  for (; i + 16 <= n; i += 16) acc[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc[0]);
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    acc[1] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc[1]);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

float dot_f16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_fmadd_ps(_mm512_cvtph_ps(load256(x + i + 16 * k)),
                               _mm512_cvtph_ps(load256(y + i + 16 * k)), acc[k]);
    }
  }
  for (; i + 16 <= n; i += 16) {
    acc[0] = _mm512_fmadd_ps(_mm512_cvtph_ps(load256(x + i)), _mm512_cvtph_ps(load256(y + i)), acc[0]);
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    acc[1] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i)),
                             _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, y + i)), acc[1]);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

// Shared loop of the 32-element block formats that pair with Q8_0: two blocks per step, an
// odd last block padded with zeros. Weights(block) returns its 32 signed values.
template <typename Block, __m256i (*Weights)(const Block&)>
float dot_q8_0_pairs(int64_t n, const void* w, const void* a) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const int64_t n_blocks = n / QK8_0;
  __m512 acc = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= n_blocks; b += 2) {
    const __m512i s = dot_i8(join(Weights(x[b]), Weights(x[b + 1])), join(load256(y[b].qs), load256(y[b + 1].qs)));
    const __m512 d = two_scales(half(x[b].d) * half(y[b].d), half(x[b + 1].d) * half(y[b + 1].d));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc);
  }
  if (b < n_blocks) {
    const __m256i zero = _mm256_setzero_si256();
    const __m512i s = dot_i8(join(Weights(x[b]), zero), join(load256(y[b].qs), zero));
    const __m512 d = two_scales(half(x[b].d) * half(y[b].d), 0.0f);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc);
  }
  return _mm512_reduce_add_ps(acc);
}

__m256i q8_0_weights(const BlockQ8_0& block) { return load256(block.qs); }

// Low nibbles are elements 0..15, high nibbles 16..31; stored offset by 8.
__m256i q4_0_weights(const BlockQ4_0& block) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_sub_epi8(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)), _mm256_set1_epi8(8));
}

float dot_q4_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    uint8_t scales[8], mins[8];
    decode_k_scales(x[b].scales, scales, mins);
    __m512i acc = _mm512_setzero_si512();
    for (int j = 0; j < QK_K / 64; ++j) {
      // Sub-block 2j (low nibbles) then 2j+1 (high nibbles): 64 unsigned values.
      const __m256i packed = load256(x[b].qs + 32 * j);
      const __m512i q = join(_mm256_and_si256(packed, low4), _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4));
      const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, load512(y[b].qs + 64 * j));
      acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(s, two_scales_i32(scales[2 * j], scales[2 * j + 1])));
    }
    int min_sum = 0;
    for (int j = 0; j < QK_K / 32; ++j) min_sum += mins[j] * (y[b].bsums[2 * j] + y[b].bsums[2 * j + 1]);
    const float d = half(x[b].d) * y[b].d;
    const float dmin = half(x[b].dmin) * y[b].d;
    sum += d * static_cast<float>(_mm512_reduce_add_epi32(acc)) - dmin * static_cast<float>(min_sum);
  }
  return sum;
}

float dot_q6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  // Lane l of a 64-element step belongs to 16-element group l / 4 of that step.
  const __m512i group_of_lane = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    const __m512i scales = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].scales)));
    __m512i acc = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(x[b].ql + 64 * h);
      const __m256i ql1 = load256(x[b].ql + 64 * h + 32);
      const __m256i qh = load256(x[b].qh + 32 * h);
      // The four 32-element chunks of this half, as unsigned 6-bit values (q + 32).
      const __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_slli_epi16(_mm256_and_si256(qh, low2), 4));
      const __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), low2), 4));
      const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), low2), 4));
      const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), low2), 4));
      const __m512i steps[2] = {join(q0, q1), join(q2, q3)};
      for (int m = 0; m < 2; ++m) {
        const int step = 2 * h + m;
        const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), steps[m], load512(y[b].qs + 64 * step));
        const __m512i lane_scales =
            _mm512_permutexvar_epi32(_mm512_add_epi32(group_of_lane, _mm512_set1_epi32(4 * step)), scales);
        acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(s, lane_scales));
      }
    }
    // Remove the +32 offset: 32 * sum of scale * (sum of each 16-element Q8_K group).
    const __m512i bsums = _mm512_cvtepi16_epi32(load256(y[b].bsums));
    const int offset = _mm512_reduce_add_epi32(_mm512_mullo_epi32(scales, bsums));
    const float d = half(x[b].d) * y[b].d;
    sum += d * static_cast<float>(_mm512_reduce_add_epi32(acc) - 32 * offset);
  }
  return sum;
}

}  // namespace

VecDotFn vec_dot_kernel_avx512(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return dot_f32;
    case GgmlType::F16: return dot_f16;
    case GgmlType::Q4_0: return dot_q8_0_pairs<BlockQ4_0, q4_0_weights>;
    case GgmlType::Q8_0: return dot_q8_0_pairs<BlockQ8_0, q8_0_weights>;
    case GgmlType::Q4_K: return dot_q4_K;
    case GgmlType::Q6_K: return dot_q6_K;
    default: return nullptr;
  }
}

}  // namespace tachyon
