// AVX2 + FMA + F16C attention row kernels. A K or V row is widened eight halves per
// instruction and used by every head of the group while it sits in registers; scores of up to
// eight heads are reduced together (one hadd tree gives eight dot products in one vector);
// the weighted sum keeps a tile of four heads by sixteen columns in registers across all rows
// of a call, so the output is loaded and stored once per call rather than once per row.
//
// The unroll pragmas unroll the per-head and per-column loops fully, so the accumulator arrays
// live in registers (without them GCC 12 also stores the arrays to the stack on every row).
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"
#include "kernels/exp_polynomial.h"

namespace tachyon {

namespace {

// Elements [j, j + 8) of a row (j a multiple of 8), and element j, widened exactly to f32.
__m256 load8(const uint16_t* row, int64_t j) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + j)));
}
__m256 load8(const float* row, int64_t j) { return _mm256_loadu_ps(row + j); }
__m256 load8(const BlockQ8_0* row, int64_t j) {
  const BlockQ8_0& b = row[j / QK8_0];
  const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.qs + j % QK8_0));
  return _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(b.d)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)));
}
float widen(const uint16_t* row, int64_t j) { return _cvtsh_ss(row[j]); }
float widen(const float* row, int64_t j) { return row[j]; }
float widen(const BlockQ8_0* row, int64_t j) {
  const BlockQ8_0& b = row[j / QK8_0];
  return _cvtsh_ss(b.d) * static_cast<float>(b.qs[j % QK8_0]);
}

// Lane h = ((a[h]_0 + a[h]_1) + (a[h]_2 + a[h]_3)) + ((a[h]_4 + a[h]_5) + (a[h]_6 + a[h]_7)).
__m256 reduce_eight(const __m256* a) {
  const __m256 low_halves = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 high_halves = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(low_halves, high_halves, 0x20),
                       _mm256_permute2f128_ps(low_halves, high_halves, 0x31));
}

// The same tree for one vector.
float reduce_lanes(__m256 v) {
  const __m256 pairs = _mm256_hadd_ps(v, v);
  const __m256 s = _mm256_hadd_ps(pairs, pairs);
  return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)));
}

// Scores of the M heads of q against each row; M is a constant so the accumulators stay in
// registers.
template <int M, typename Elem>
void score_heads(const float* q, int64_t d, const Elem* const* k_rows, int64_t n_rows, float scale, float* out,
                 int64_t out_stride) {
  const int64_t d8 = d - d % 8;
  for (int64_t r = 0; r < n_rows; ++r) {
    const Elem* k = k_rows[r];
    __m256 acc[8];
    #pragma GCC unroll 8
    for (__m256& a : acc) a = _mm256_setzero_ps();
    for (int64_t j = 0; j < d8; j += 8) {
      const __m256 kj = load8(k, j);
      #pragma GCC unroll 8
      for (int h = 0; h < M; ++h) acc[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + h * d + j), kj, acc[h]);
    }
    alignas(32) float sums[8];
    _mm256_store_ps(sums, reduce_eight(acc));
    for (int h = 0; h < M; ++h) {
      float sum = sums[h];
      for (int64_t j = d8; j < d; ++j) sum = std::fma(q[h * d + j], widen(k, j), sum);
      out[h * out_stride + r] = sum * scale;
    }
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

__m256 exp8(__m256 x) {
  using namespace exp_polynomial;
  // Operand order matters: max/min return the second operand for NaN, so NaN passes through.
  x = _mm256_min_ps(_mm256_set1_ps(kExpMax), _mm256_max_ps(_mm256_set1_ps(kExpMin), x));
  const __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Hi), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_cvtps_epi32(n);
  const __m256i e1 = _mm256_srai_epi32(e, 1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(e, e1), bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// All-ones in the lanes below `count` (0..8).
__m256 first_lanes(int64_t count) {
  return _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

void exp_values(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float tail[8] = {};
    std::copy(x + i, x + n, tail);
    _mm256_store_ps(tail, exp8(_mm256_load_ps(tail)));
    std::copy(tail, tail + (n - i), y + i);
  }
}

void softmax(float* x, int64_t n) {
  const int64_t n8 = n - n % 8;
  float max = x[0];
  if (n8 > 0) {
    __m256 vmax = _mm256_loadu_ps(x);
    for (int64_t i = 8; i < n8; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, vmax);
    max = *std::max_element(lanes, lanes + 8);
  }
  for (int64_t i = n8; i < n; ++i) max = std::max(max, x[i]);

  const __m256 vmax = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(x + i, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (n8 < n) {
    // The tail's lanes past n add +0, which leaves the scalar twin's lane sums unchanged.
    alignas(32) float tail[8] = {};
    std::copy(x + n8, x + n, tail);
    const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_load_ps(tail), vmax)), first_lanes(n - n8));
    _mm256_store_ps(tail, e);
    std::copy(tail, tail + (n - n8), x + n8);
    sum = _mm256_add_ps(sum, e);
  }

  const float inv_sum = 1.0f / reduce_lanes(sum);
  const __m256 vinv = _mm256_set1_ps(inv_sum);
  for (int64_t i = 0; i < n8; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
  for (int64_t i = n8; i < n; ++i) x[i] *= inv_sum;
}

// Columns [j, j + 8 * C) of H heads' outputs, held in registers over all the rows.
template <int H, int C, typename Elem>
void weighted_tile(const float* w, int64_t w_stride, int64_t d, const Elem* const* v_rows, int64_t n_rows, int64_t j,
                   float* out) {
  __m256 acc[H][C];
  #pragma GCC unroll 4
  for (int h = 0; h < H; ++h) {
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) acc[h][c] = _mm256_loadu_ps(out + h * d + j + 8 * c);
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    __m256 v[C];
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) v[c] = load8(v_rows[r], j + 8 * c);
    #pragma GCC unroll 4
    for (int h = 0; h < H; ++h) {
      const __m256 a = _mm256_broadcast_ss(w + h * w_stride + r);
      #pragma GCC unroll 2
      for (int c = 0; c < C; ++c) acc[h][c] = _mm256_fmadd_ps(a, v[c], acc[h][c]);
    }
  }
  #pragma GCC unroll 4
  for (int h = 0; h < H; ++h) {
    #pragma GCC unroll 2
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + h * d + j + 8 * c, acc[h][c]);
  }
}

template <int H, typename Elem>
void weighted_heads(const float* w, int64_t w_stride, int64_t d, const Elem* const* v_rows, int64_t n_rows,
                    float* out) {
  int64_t j = 0;
  for (; j + 16 <= d; j += 16) weighted_tile<H, 2>(w, w_stride, d, v_rows, n_rows, j, out);
  if (j + 8 <= d) {
    weighted_tile<H, 1>(w, w_stride, d, v_rows, n_rows, j, out);
    j += 8;
  }
  for (; j < d; ++j) {  // columns past the last multiple of 8: the same terms one at a time
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

AttentionRowOps attention_row_ops_avx2() {
  return {scores<uint16_t>, scores<float>, softmax, exp_values, weighted_sum<uint16_t>, weighted_sum<float>,
          scores<BlockQ8_0>, weighted_sum<BlockQ8_0>};
}

}  // namespace tachyon
