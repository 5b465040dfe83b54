// AVX2 + FMA + F16C dot products. Integer block sums are exact (the same integers as the
// scalar twins); only the order of float accumulation differs, by design: block results are
// accumulated in 8 float lanes and reduced once at the end.
#include <immintrin.h>

#include <cstring>

#include "kernels/vec_dot_kernels.h"

namespace tachyon {

namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

int hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

__m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Unsigned u times signed s, summed in groups of four bytes into 8 int32 lanes. Exact while
// each pair u*s fits int16 (u <= 127, or u <= 63 with any s).
__m256i dot_u8_i8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Signed x signed products in groups of four; y must not hold -128 where x is negative
// (Q8_0 quantization never produces -128).
__m256i dot_i8(__m256i x, __m256i y) {
  return dot_u8_i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// 16 packed bytes -> 32 nibbles: low nibbles in bytes 0..15, high nibbles in 16..31.
__m256i unpack_nibbles(const uint8_t* p) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

float half(uint16_t bits) { return _cvtsh_ss(bits); }

float dot_f32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc[0]);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

__m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

__m256 load_bf16(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// Dot of two 16-bit float rows; Load widens 8 elements, Scalar converts one.
template <__m256 (*Load)(const uint16_t*), float (*Scalar)(uint16_t)>
float dot_half_rows(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_ps(Load(x + i + 8 * k), Load(y + i + 8 * k), acc[k]);
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(Load(x + i), Load(y + i), acc[0]);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += Scalar(x[i]) * Scalar(y[i]);
  return sum;
}

float bf16_scalar(uint16_t bits) {
  const __m128i v = _mm_cvtsi32_si128(static_cast<int>(bits) << 16);
  return _mm_cvtss_f32(_mm_castsi128_ps(v));
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK8_0; ++b) {
    const __m256 d = _mm256_set1_ps(half(x[b].d) * half(y[b].d));
    const __m256i s = dot_i8(load(x[b].qs), load(y[b].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc);
  }
  return hsum(acc);
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const __m256i eight = _mm256_set1_epi8(8);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK4_0; ++b) {
    const __m256 d = _mm256_set1_ps(half(x[b].d) * half(y[b].d));
    const __m256i q = _mm256_sub_epi8(unpack_nibbles(x[b].qs), eight);
    const __m256i s = dot_i8(q, load(y[b].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc);
  }
  return hsum(acc);
}

// The 32 fifth bits of a Q5 block as bytes: 0xFF where bit i of qh is set, else 0.
__m256i bytes_from_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  const __m256i byte_of_bit = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                                 0x0202020202020202, 0x0303030303030303);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), byte_of_bit);
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_of_byte), bit_of_byte);
}

// Q4_1 and Q5_1 against Q8_1: unsigned values, plus the min times the stored activation sum.
template <typename Block, bool FifthBit>
float dot_with_min(int64_t n, const void* w, const void* a) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float min_sum = 0.0f;
  for (int64_t b = 0; b < n / QK8_1; ++b) {
    __m256i q = unpack_nibbles(x[b].qs);
    if constexpr (FifthBit) q = _mm256_or_si256(q, _mm256_and_si256(bytes_from_bits(x[b].qh), _mm256_set1_epi8(0x10)));
    const __m256i s = dot_u8_i8(q, load(y[b].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(half(x[b].d) * half(y[b].d)), acc);
    min_sum += half(x[b].m) * half(y[b].s);
  }
  return hsum(acc) + min_sum;
}

float dot_q5_0(int64_t n, const void* w, const void* a) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const __m256i sixteen = _mm256_set1_epi8(16);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK5_0; ++b) {
    const __m256i high = _mm256_and_si256(bytes_from_bits(x[b].qh), sixteen);
    const __m256i q = _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(x[b].qs), high), sixteen);
    const __m256i s = dot_i8(q, load(y[b].qs));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(half(x[b].d) * half(y[b].d)), acc);
  }
  return hsum(acc);
}

// sum over the eight 32-element sub-blocks of mins[j] * (sum of their Q8_K values).
int k4_min_sum(const uint8_t* mins, const int16_t* bsums) {
  int sum = 0;
  for (int j = 0; j < QK_K / 32; ++j) sum += mins[j] * (bsums[2 * j] + bsums[2 * j + 1]);
  return sum;
}

// One Q4_K/Q5_K super-block's float contribution from its integer dot; shared by the
// single-row and multi-column kernels so both run the same float operations.
inline float k4_block_value(float wd, float wdmin, const BlockQ8_K& y, int dot, const uint8_t* mins) {
  const float d = wd * y.d;
  const float dmin = wdmin * y.d;
  return d * static_cast<float>(dot) - dmin * static_cast<float>(k4_min_sum(mins, y.bsums));
}

// The 64 values of sub-blocks 2j and 2j+1 of a Q4_K/Q5_K block: low nibbles to lo, high nibbles
// to hi, with Q5_K's fifth bits taken from (and shifted out of) high.
template <bool HighBits>
inline void k4_unpack(const uint8_t* qs, __m256i& high, __m256i& lo, __m256i& hi) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i packed = load(qs);
  lo = _mm256_and_si256(packed, low4);
  hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
  if constexpr (HighBits) {
    const __m256i one = _mm256_set1_epi8(1);
    lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(high, one), 4));
    hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 1), one), 4));
    high = _mm256_srli_epi16(high, 2);
  }
}

// Q4_K (HighBits = false) and Q5_K (true): both share the 6-bit scale/min packing.
template <typename Block, bool HighBits>
float dot_k4(int64_t n, const void* w, const void* a) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    uint8_t scales[8], mins[8];
    decode_k_scales(x[b].scales, scales, mins);
    __m256i high = _mm256_setzero_si256();
    if constexpr (HighBits) high = load(x[b].qh);
    __m256i acc = _mm256_setzero_si256();
    for (int j = 0; j < QK_K / 64; ++j) {
      __m256i lo, hi;
      k4_unpack<HighBits>(x[b].qs + 32 * j, high, lo, hi);
      const __m256i p_lo = _mm256_maddubs_epi16(lo, load(y[b].qs + 64 * j));
      const __m256i p_hi = _mm256_maddubs_epi16(hi, load(y[b].qs + 64 * j + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(scales[2 * j])));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(scales[2 * j + 1])));
    }
    sum += k4_block_value(half(x[b].d), half(x[b].dmin), y[b], hsum(acc), mins);
  }
  return sum;
}

// One Q6_K super-block's float contribution from its integer dot of the +32-offset values;
// shared by the single-row and multi-column kernels.
inline float q6_K_block_value(const BlockQ6_K& x, const BlockQ8_K& y, int dot) {
  // Remove the +32 offset: 32 * sum of scale * (sum of each 16-element Q8_K group).
  int offset = 0;
  for (int j = 0; j < QK_K / 16; ++j) offset += x.scales[j] * y.bsums[j];
  const float d = half(x.d) * y.d;
  return d * static_cast<float>(dot - 32 * offset);
}

// The four 32-element chunks of one half of a Q6_K block, as unsigned 6-bit values (q + 32).
inline void q6_K_unpack_half(const BlockQ6_K& x, int h, __m256i* q) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  const __m256i ql0 = load(x.ql + 64 * h);
  const __m256i ql1 = load(x.ql + 64 * h + 32);
  const __m256i qh = load(x.qh + 32 * h);
  q[0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_slli_epi16(_mm256_and_si256(qh, low2), 4));
  q[1] = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), low2), 4));
  q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), low2), 4));
  q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                         _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), low2), 4));
}

float dot_q6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / QK_K; ++b) {
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      __m256i q[4];
      q6_K_unpack_half(x[b], h, q);
      const int8_t* sc = x[b].scales + 8 * h;
      for (int k = 0; k < 4; ++k) {
        const __m256i p = _mm256_maddubs_epi16(q[k], load(y[b].qs + 128 * h + 32 * k));
        const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, scale));
      }
    }
    sum += q6_K_block_value(x[b], y[b], hsum(acc));
  }
  return sum;
}

// ---- Multi-column kernels: per column, exactly the operations of the single-row kernel
// above (same integer sums, same float ops in the same order, same final reduction); only
// the weight-side loads and decoding are shared between the columns.

// The kVecDotColumns activation rows of one call, as typed pointers.
template <typename Block>
void column_rows(const void* a, size_t stride, const Block** rows) {
  const uint8_t* base = static_cast<const uint8_t*>(a);
  for (int c = 0; c < kVecDotColumns; ++c) {
    rows[c] = reinterpret_cast<const Block*>(base + stride * static_cast<size_t>(c));
  }
}

__m256i q8_0_values(const BlockQ8_0& x) { return load(x.qs); }
__m256i q4_0_values(const BlockQ4_0& x) { return _mm256_sub_epi8(unpack_nibbles(x.qs), _mm256_set1_epi8(8)); }
__m256i q5_0_values(const BlockQ5_0& x) {
  const __m256i sixteen = _mm256_set1_epi8(16);
  const __m256i high = _mm256_and_si256(bytes_from_bits(x.qh), sixteen);
  return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(x.qs), high), sixteen);
}

// Q8_0, Q4_0 and Q5_0 against Q8_0 activations; Values gives a block's signed weights.
template <typename Block, __m256i (*Values)(const Block&)>
void dot_q8_0_family_columns(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_0* y[kVecDotColumns];
  column_rows(a, stride, y);
  __m256 acc[kVecDotColumns];
  for (__m256& v : acc) v = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / QK8_0; ++b) {
    const float wd = half(x[b].d);
    const __m256i q = Values(x[b]);
    const __m256i q_abs = _mm256_sign_epi8(q, q);
    for (int c = 0; c < kVecDotColumns; ++c) {
      const __m256 d = _mm256_set1_ps(wd * half(y[c][b].d));
      const __m256i s = dot_u8_i8(q_abs, _mm256_sign_epi8(load(y[c][b].qs), q));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc[c]);
    }
  }
  for (int c = 0; c < kVecDotColumns; ++c) out[c] = hsum(acc[c]);
}

template <typename Block, bool HighBits>
void dot_k4_columns(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_K* y[kVecDotColumns];
  column_rows(a, stride, y);
  float sum[kVecDotColumns] = {};
  for (int64_t b = 0; b < n / QK_K; ++b) {
    uint8_t scales[8], mins[8];
    decode_k_scales(x[b].scales, scales, mins);
    __m256i high = _mm256_setzero_si256();
    if constexpr (HighBits) high = load(x[b].qh);
    __m256i acc[kVecDotColumns];
    for (__m256i& v : acc) v = _mm256_setzero_si256();
    for (int j = 0; j < QK_K / 64; ++j) {
      __m256i lo, hi;
      k4_unpack<HighBits>(x[b].qs + 32 * j, high, lo, hi);
      const __m256i scale_lo = _mm256_set1_epi16(scales[2 * j]);
      const __m256i scale_hi = _mm256_set1_epi16(scales[2 * j + 1]);
      for (int c = 0; c < kVecDotColumns; ++c) {
        const __m256i p_lo = _mm256_maddubs_epi16(lo, load(y[c][b].qs + 64 * j));
        const __m256i p_hi = _mm256_maddubs_epi16(hi, load(y[c][b].qs + 64 * j + 32));
        acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(p_lo, scale_lo));
        acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(p_hi, scale_hi));
      }
    }
    const float wd = half(x[b].d);
    const float wdmin = half(x[b].dmin);
    for (int c = 0; c < kVecDotColumns; ++c) sum[c] += k4_block_value(wd, wdmin, y[c][b], hsum(acc[c]), mins);
  }
  for (int c = 0; c < kVecDotColumns; ++c) out[c] = sum[c];
}

void dot_q6_K_columns(int64_t n, const void* w, const void* a, size_t stride, float* out) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y[kVecDotColumns];
  column_rows(a, stride, y);
  float sum[kVecDotColumns] = {};
  for (int64_t b = 0; b < n / QK_K; ++b) {
    __m256i acc[kVecDotColumns];
    for (__m256i& v : acc) v = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      __m256i q[4];
      q6_K_unpack_half(x[b], h, q);
      const int8_t* sc = x[b].scales + 8 * h;
      for (int k = 0; k < 4; ++k) {
        const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        for (int c = 0; c < kVecDotColumns; ++c) {
          const __m256i p = _mm256_maddubs_epi16(q[k], load(y[c][b].qs + 128 * h + 32 * k));
          acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(p, scale));
        }
      }
    }
    for (int c = 0; c < kVecDotColumns; ++c) sum[c] += q6_K_block_value(x[b], y[c][b], hsum(acc[c]));
  }
  for (int c = 0; c < kVecDotColumns; ++c) out[c] = sum[c];
}

}  // namespace

VecDotFn vec_dot_kernel_avx2(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return dot_f32;
    case GgmlType::F16: return dot_half_rows<load_f16, half>;
    case GgmlType::BF16: return dot_half_rows<load_bf16, bf16_scalar>;
    case GgmlType::Q4_0: return dot_q4_0;
    case GgmlType::Q4_1: return dot_with_min<BlockQ4_1, false>;
    case GgmlType::Q5_0: return dot_q5_0;
    case GgmlType::Q5_1: return dot_with_min<BlockQ5_1, true>;
    case GgmlType::Q8_0: return dot_q8_0;
    case GgmlType::Q4_K: return dot_k4<BlockQ4_K, false>;
    case GgmlType::Q5_K: return dot_k4<BlockQ5_K, true>;
    case GgmlType::Q6_K: return dot_q6_K;
    default: return nullptr;
  }
}

VecDotColumnsFn vec_dot_columns_kernel_avx2(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::Q4_0: return dot_q8_0_family_columns<BlockQ4_0, q4_0_values>;
    case GgmlType::Q5_0: return dot_q8_0_family_columns<BlockQ5_0, q5_0_values>;
    case GgmlType::Q8_0: return dot_q8_0_family_columns<BlockQ8_0, q8_0_values>;
    case GgmlType::Q4_K: return dot_k4_columns<BlockQ4_K, false>;
    case GgmlType::Q5_K: return dot_k4_columns<BlockQ5_K, true>;
    case GgmlType::Q6_K: return dot_q6_K_columns;
    default: return nullptr;
  }
}

}  // namespace tachyon
