// AVX-512 attention row kernels: the AVX2 kernels' arithmetic at twice the width, lane for lane.
// Scores take two K rows per 512-bit vector (row r in the low half, row r + 1 in the high half),
// so each half runs exactly the eight-lane fused sums of the AVX2 kernel and the scalar twin,
// with the query broadcast to both halves, and reduce both halves with the same tree. The weighted sum widens the column tile to sixteen
// columns per vector; every output element is still one fused multiply-add per row, rows
// ascending. Softmax and exp stay the AVX2 kernels (attention_rows.cpp combines the tables).
#include "kernels/x86/avx512_intrinsics.h"

#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"

namespace tachyon {

namespace {

// Elements [j, j + 8) of row a in the low half, the same of row b in the high half (j a
// multiple of 8), widened exactly to f32.
__m512 load_pair(const uint16_t* a, const uint16_t* b, int64_t j) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + j));
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1));
}
__m512 load_pair(const float* a, const float* b, int64_t j) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(a + j)), _mm256_loadu_ps(b + j), 1);
}
__m512 load_pair(const BlockQ8_0* a, const BlockQ8_0* b, int64_t j) {
  const BlockQ8_0& ba = a[j / QK8_0];
  const BlockQ8_0& bb = b[j / QK8_0];
  const __m128i qa = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(ba.qs + j % QK8_0));
  const __m128i qb = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bb.qs + j % QK8_0));
  const __m512 scales = _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(ba.d)), _mm256_set1_ps(_cvtsh_ss(bb.d)), 1);
  return _mm512_mul_ps(scales, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_unpacklo_epi64(qa, qb))));
}
// Elements [j, j + 16) of a row (j a multiple of 16), and element j, widened exactly to f32.
__m512 load16(const uint16_t* row, int64_t j) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + j)));
}
__m512 load16(const float* row, int64_t j) { return _mm512_loadu_ps(row + j); }
__m512 load16(const BlockQ8_0* row, int64_t j) {
  const BlockQ8_0& b = row[j / QK8_0];
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + j % QK8_0));
  return _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(b.d)), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)));
}
float widen(const uint16_t* row, int64_t j) { return _cvtsh_ss(row[j]); }
float widen(const float* row, int64_t j) { return row[j]; }
float widen(const BlockQ8_0* row, int64_t j) {
  const BlockQ8_0& b = row[j / QK8_0];
  return _cvtsh_ss(b.d) * static_cast<float>(b.qs[j % QK8_0]);
}

// _mm256_hadd_ps on each 256-bit half: [x0 + x1, x2 + x3, y0 + y1, y2 + y3] per 128-bit lane.
__m512 hadd_halves(__m512 x, __m512 y) { return _mm512_add_ps(_mm512_shuffle_ps(x, y, 0x88), _mm512_shuffle_ps(x, y, 0xDD)); }

// The AVX2 kernel's reduce_eight on both 256-bit halves at once: lane h of the low half
// is head h's sum for the low half's row, lane 8 + h the high half's.
__m512 reduce_eight_halves(const __m512* a) {
  const __m512 low = hadd_halves(hadd_halves(a[0], a[1]), hadd_halves(a[2], a[3]));
  const __m512 high = hadd_halves(hadd_halves(a[4], a[5]), hadd_halves(a[6], a[7]));
  // Per half: [128-bit lane 0 of low, lane 0 of high] + [lane 1 of low, lane 1 of high].
  const __m512i first = _mm512_set_epi32(27, 26, 25, 24, 11, 10, 9, 8, 19, 18, 17, 16, 3, 2, 1, 0);
  const __m512i second = _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 23, 22, 21, 20, 7, 6, 5, 4);
  return _mm512_add_ps(_mm512_permutex2var_ps(low, first, high), _mm512_permutex2var_ps(low, second, high));
}

// Scores of the M heads of q against the four rows k[0..3] (k[i] repeats the last valid row
// past n_valid); two rows per vector, each query load serves all four.
template <int M, typename Elem>
void score_quad(const float* q, int64_t d, const Elem* const* k, int n_valid, float scale, float* out,
                int64_t out_stride, int64_t r) {
  const int64_t d8 = d - d % 8;
  __m512 acc[2][8];
  #pragma GCC unroll 8
  for (int h = 0; h < 8; ++h) acc[0][h] = acc[1][h] = _mm512_setzero_ps();
  for (int64_t j = 0; j < d8; j += 8) {
    const __m512 k01 = load_pair(k[0], k[1], j);
    const __m512 k23 = load_pair(k[2], k[3], j);
    #pragma GCC unroll 8
    for (int h = 0; h < M; ++h) {
      const __m512 qh = _mm512_broadcast_f32x8(_mm256_loadu_ps(q + h * d + j));
      acc[0][h] = _mm512_fmadd_ps(qh, k01, acc[0][h]);
      acc[1][h] = _mm512_fmadd_ps(qh, k23, acc[1][h]);
    }
  }
  alignas(64) float sums[4][8];
  _mm512_store_ps(sums[0], reduce_eight_halves(acc[0]));
  _mm512_store_ps(sums[2], reduce_eight_halves(acc[1]));
  for (int i = 0; i < n_valid; ++i) {
    for (int h = 0; h < M; ++h) {
      float sum = sums[i][h];
      for (int64_t j = d8; j < d; ++j) sum = std::fma(q[h * d + j], widen(k[i], j), sum);
      out[h * out_stride + r + i] = sum * scale;
    }
  }
}

template <int M, typename Elem>
void score_heads(const float* q, int64_t d, const Elem* const* k_rows, int64_t n_rows, float scale, float* out,
                 int64_t out_stride) {
  int64_t r = 0;
  for (; r + 4 <= n_rows; r += 4) score_quad<M>(q, d, k_rows + r, 4, scale, out, out_stride, r);
  if (r < n_rows) {
    const int n_valid = static_cast<int>(n_rows - r);
    const Elem* k[4];
    for (int i = 0; i < 4; ++i) k[i] = k_rows[r + std::min(i, n_valid - 1)];
    score_quad<M>(q, d, k, n_valid, scale, out, out_stride, r);
  }
}

template <typename Elem>
void scores(const float* q, int64_t n_q, int64_t d, const Elem* const* k_rows, int64_t n_rows, float scale,
            float* out, int64_t out_stride) {
  using Fn = void (*)(const float*, int64_t, const Elem* const*, int64_t, float, float*, int64_t);
  static constexpr Fn kByHeads[8] = {score_heads<1, Elem>, score_heads<2, Elem>, score_heads<3, Elem>,
                                     score_heads<4, Elem>, score_heads<5, Elem>, score_heads<6, Elem>,
                                     score_heads<7, Elem>, score_heads<8, Elem>};
  for (int64_t h = 0; h < n_q; h += 8) {
    kByHeads[std::min<int64_t>(8, n_q - h) - 1](q + h * d, d, k_rows, n_rows, scale, out + h * out_stride,
                                                 out_stride);
  }
}

// Columns [j, j + 16 * C) of H heads' outputs, held in registers over all the rows.
template <int H, int C, typename Elem>
void weighted_tile(const float* w, int64_t w_stride, int64_t d, const Elem* const* v_rows, int64_t n_rows, int64_t j,
                   float* out) {
  __m512 acc[H][C];
  #pragma GCC unroll 4
  for (int h = 0; h < H; ++h) {
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) acc[h][c] = _mm512_loadu_ps(out + h * d + j + 16 * c);
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    __m512 v[C];
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) v[c] = load16(v_rows[r], j + 16 * c);
    #pragma GCC unroll 4
    for (int h = 0; h < H; ++h) {
      const __m512 a = _mm512_set1_ps(w[h * w_stride + r]);
      #pragma GCC unroll 2
      for (int c = 0; c < C; ++c) acc[h][c] = _mm512_fmadd_ps(a, v[c], acc[h][c]);
    }
  }
  #pragma GCC unroll 4
  for (int h = 0; h < H; ++h) {
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + h * d + j + 16 * c, acc[h][c]);
  }
}

template <int H, typename Elem>
void weighted_heads(const float* w, int64_t w_stride, int64_t d, const Elem* const* v_rows, int64_t n_rows,
                    float* out) {
  int64_t j = 0;
  for (; j + 32 <= d; j += 32) weighted_tile<H, 2>(w, w_stride, d, v_rows, n_rows, j, out);
  if (j + 16 <= d) {
    weighted_tile<H, 1>(w, w_stride, d, v_rows, n_rows, j, out);
    j += 16;
  }
  for (; j < d; ++j) {  // columns past the last multiple of 16: the same terms one at a time
    for (int64_t r = 0; r < n_rows; ++r) {
      for (int h = 0; h < H; ++h) out[h * d + j] = std::fma(w[h * w_stride + r], widen(v_rows[r], j), out[h * d + j]);
    }
  }
}

template <typename Elem>
void weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const Elem* const* v_rows,
                  int64_t n_rows, float* out) {
  using Fn = void (*)(const float*, int64_t, int64_t, const Elem* const*, int64_t, float*);
  static constexpr Fn kByHeads[4] = {weighted_heads<1, Elem>, weighted_heads<2, Elem>, weighted_heads<3, Elem>,
                                     weighted_heads<4, Elem>};
  for (int64_t h = 0; h < n_q; h += 4) {
    kByHeads[std::min<int64_t>(4, n_q - h) - 1](w + h * w_stride, w_stride, d, v_rows, n_rows, out + h * d);
  }
}

}  // namespace

AttentionRowOps attention_row_ops_avx512(AttentionRowOps avx2) {
  avx2.scores_f16 = scores<uint16_t>;
  avx2.scores_f32 = scores<float>;
  avx2.weighted_sum_f16 = weighted_sum<uint16_t>;
  avx2.weighted_sum_f32 = weighted_sum<float>;
  avx2.scores_q8_0 = scores<BlockQ8_0>;
  avx2.weighted_sum_q8_0 = weighted_sum<BlockQ8_0>;
  return avx2;
}

}  // namespace tachyon
