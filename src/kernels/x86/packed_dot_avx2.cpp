// AVX2 packed kernels on the shared block loop (x86/packed_block_loop.h).
// The quant-word loops unroll only twice: unrolled fully, GCC hoists every product ahead of
// the sums and spills them to the stack.
#include "kernels/x86/packed_block_loop.h"

#include <type_traits>

namespace tachyon {

namespace {

// Signed weights: |y| times (w signed by y), the u8 x s8 multiply-add; each pair sum fits
// int16 because neither side holds -128.
template <int N>
struct Q8_0Sums {
  static void block(const PackedQ8_0x8& x, const PackedActBlock* const* y, int64_t b, __m256i* sum) {
    const __m256i ones = _mm256_set1_epi16(1);
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) sum[t] = _mm256_setzero_si256();
    #pragma GCC unroll 2
    for (int k = 0; k < 8; ++k) {
      const __m256i w = load(x.qs + 32 * k);
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) {
        const __m256i yv = broadcast_word(y[t][b].qs + 4 * k);
        const __m256i ya = broadcast_word(y[t][b].abs + 4 * k);
        const __m256i pairs = _mm256_maddubs_epi16(ya, _mm256_sign_epi8(w, yv));
        sum[t] = _mm256_add_epi32(sum[t], _mm256_madd_epi16(pairs, ones));
      }
    }
  }
};

// Unsigned nibbles times signed activations, minus 8 * sum(y): the same integer as the
// offset quants. Eight u8 x s8 pair sums of at most 2 * 15 * 127 each still fit int16, so a
// block's products are summed in 16 bits and widened once.
template <int N>
struct Q4_0Sums {
  static void block(const PackedQ4_0x8& x, const PackedActBlock* const* y, int64_t b, __m256i* sum) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    __m256i pairs[N];
    #pragma GCC unroll 4
    for (__m256i& p : pairs) p = _mm256_setzero_si256();
    #pragma GCC unroll 2
    for (int k = 0; k < 4; ++k) {
      const __m256i packed = load(x.qs + 32 * k);
      const __m256i lo = _mm256_and_si256(packed, low_nibbles);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) {
        pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(lo, broadcast_word(y[t][b].qs + 4 * k)));
        pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(hi, broadcast_word(y[t][b].qs + 16 + 4 * k)));
      }
    }
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) {
      sum[t] = _mm256_sub_epi32(_mm256_madd_epi16(pairs[t], ones), _mm256_set1_epi32(8 * y[t][b].sum));
    }
  }
};

// pairs[t] = int16 pair sums of (unsigned bytes of words[0..n)) x (activation bytes q[t][0 .. 4n)).
// Each pair is at most 2 * 63 * 127, so two (6-bit weights), four (5-bit) or eight (4-bit) of
// them still fit.
template <int N, int NWords>
void pair_sums(const __m256i* words, const int8_t* const* q, __m256i* pairs) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) pairs[t] = _mm256_maddubs_epi16(words[0], broadcast_word(q[t]));
  #pragma GCC unroll 8
  for (int k = 1; k < NWords; ++k) {
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) pairs[t] = _mm256_add_epi16(pairs[t], _mm256_maddubs_epi16(words[k], broadcast_word(q[t] + 4 * k)));
  }
}

// Q4_K and Q5_K: the 16-bit pair sums of a sub-block, times its scale in one multiply-add; the
// mins against the activation sums per 32 the same way.
template <int N, typename Packed>
struct KWithMinsSums {
  static void superblock(const Packed& x, const PackedActSuperBlock* const* y, int64_t b, __m256* acc) {
    const KScales s = decode_k_scales(x);
    __m256i isum[N], msum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = msum[t] = _mm256_setzero_si256();
    #pragma GCC unroll 1
    for (int j = 0; j < 4; ++j) {
      #pragma GCC unroll 1
      for (int half = 0; half < 2; ++half) {
        const int sub = 2 * j + half;
        const __m256i scale = lane_byte_twice(s.scales[j / 2], 2 * (j % 2) + half);
        __m256i words[8];
        k_words(x, j, half, words);
        const int8_t* q[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) q[t] = y[t][b].qs + 32 * sub;
        if constexpr (std::is_same_v<Packed, PackedQ4_Kx8>) {
          __m256i pairs[N];
          pair_sums<N, 8>(words, q, pairs);
          #pragma GCC unroll 4
          for (int t = 0; t < N; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs[t], scale));
        } else {  // 5-bit quants: eight pair sums could overflow int16, so two halves of four
          const int8_t* q_second[N];
          #pragma GCC unroll 4
          for (int t = 0; t < N; ++t) q_second[t] = q[t] + 16;
          __m256i first[N], second[N];
          pair_sums<N, 4>(words, q, first);
          pair_sums<N, 4>(words + 4, q_second, second);
          #pragma GCC unroll 4
          for (int t = 0; t < N; ++t) {
            const __m256i both = _mm256_add_epi32(_mm256_madd_epi16(first[t], scale), _mm256_madd_epi16(second[t], scale));
            isum[t] = _mm256_add_epi32(isum[t], both);
          }
        }
      }
    }
    #pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      const __m256i mins = lane_adjacent_bytes(s.mins[p / 2], p % 2);
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) {
        const __m256i sums = broadcast_word(reinterpret_cast<const int8_t*>(y[t][b].bsum32 + 2 * p));
        msum[t] = _mm256_add_epi32(msum[t], _mm256_madd_epi16(mins, sums));
      }
    }
    accumulate_block<N>(x.d, y, b, isum, acc);
    accumulate_block<N, true>(x.dmin, y, b, msum, acc);
  }
};

template <int N>
using Q4_KSums = KWithMinsSums<N, PackedQ4_Kx8>;
template <int N>
using Q5_KSums = KWithMinsSums<N, PackedQ5_Kx8>;

// Q6_K: unsigned values quant + 32 against the activations in two 16-bit pair sums, widened,
// less 32 x the activation sum of the sub-block, times the sub-block's signed scale.
template <int N>
struct Q6_KSums {
  static void superblock(const PackedQ6_Kx8& x, const PackedActSuperBlock* const* y, int64_t b, __m256* acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i isum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = _mm256_setzero_si256();
    #pragma GCC unroll 1
    for (int w = 0; w < 4; ++w) {
      const __m256i scale_word = load(x.scales + 32 * w);
      #pragma GCC unroll 1
      for (int i = 0; i < 4; ++i) {
        const int sub = 4 * w + i, c = sub / 2, h = i % 2;
        const __m256i scale = lane_byte_signed(scale_word, i);
        __m256i words[4];
        q6_k_words(x, c, h, words);
        const int8_t* q[N];
        const int8_t* q_second[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          q[t] = y[t][b].qs + 16 * sub;
          q_second[t] = q[t] + 8;
        }
        __m256i first[N], second[N];
        pair_sums<N, 2>(words, q, first);
        pair_sums<N, 2>(words + 2, q_second, second);
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(first[t], ones), _mm256_madd_epi16(second[t], ones));
          sum = _mm256_add_epi32(sum, _mm256_set1_epi32(-32 * y[t][b].bsum16[sub]));
          isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sum, scale));
        }
      }
    }
    accumulate_block<N>(x.d, y, b, isum, acc);
  }
};

// F16 and BF16 (packed_weights.h): a vector holds two rows by four columns, lane 4j + i being
// chain c_i of its row j, against the quad's four activations broadcast to both halves.
__m256 widen_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
__m256 widen_bf16(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// Rows [2 * first, 2 * (first + V)) of the group for N tokens, V row pairs at a time.
template <int N, int V, __m256 (*Widen)(const uint16_t*)>
void half_rows(int64_t n_quads, const PackedHalfx8* x, const float* const* y, int first, float* out,
               size_t out_stride) {
  __m256 acc[N][V];
  #pragma GCC unroll 8
  for (int t = 0; t < N; ++t) {
    #pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[t][v] = _mm256_setzero_ps();
  }
  for (int64_t q = 0; q < n_quads; ++q) {
    __m256 w[V];
    #pragma GCC unroll 4
    for (int v = 0; v < V; ++v) w[v] = Widen(x[q].v + 8 * (first + v));
    #pragma GCC unroll 8
    for (int t = 0; t < N; ++t) {
      const __m256 a = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(y[t] + 4 * q));
      #pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[t][v] = _mm256_fmadd_ps(w[v], a, acc[t][v]);
    }
  }
  for (int t = 0; t < N; ++t) {
    for (int v = 0; v < V; ++v) {
      alignas(32) float c[8];
      _mm256_store_ps(c, acc[t][v]);
      for (int j = 0; j < 2; ++j) {
        out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(2 * (first + v) + j)] =
            (c[4 * j] + c[4 * j + 1]) + (c[4 * j + 2] + c[4 * j + 3]);
      }
    }
  }
}

// One or two tokens take all eight rows in one pass (four chains each, for latency); three or
// four take them in two passes of four rows, five to eight in four passes of two rows (at most
// sixteen registers).
template <int N, __m256 (*Widen)(const uint16_t*)>
void half_tokens(int64_t n_cols, const void* group, const void* acts, size_t act_stride, bool /*add: one tile*/,
                 float* out, size_t out_stride) {
  const int64_t n_quads = n_cols / PackedHalfx8::kElems;
  const PackedHalfx8* x = static_cast<const PackedHalfx8*>(group);
  const float* y[N];
  activation_rows<N>(acts, act_stride, y);
  if constexpr (N <= 2) {
    half_rows<N, 4, Widen>(n_quads, x, y, 0, out, out_stride);
  } else if constexpr (N <= 4) {
    half_rows<N, 2, Widen>(n_quads, x, y, 0, out, out_stride);
    half_rows<N, 2, Widen>(n_quads, x, y, 2, out, out_stride);
  } else {
    #pragma GCC unroll 4
    for (int first = 0; first < 4; ++first) half_rows<N, 1, Widen>(n_quads, x, y, first, out, out_stride);
  }
}

template <__m256 (*Widen)(const uint16_t*)>
struct HalfRows {
  template <int N>
  constexpr RowsFn operator()() const { return half_tokens<N, Widen>; }
};

}  // namespace

PackedDotFn packed_dot_kernel_avx2(GgmlType type) {
  if (type == GgmlType::F16) return by_tokens<kPackedTokensMax, HalfRows<widen_f16>>;
  if (type == GgmlType::BF16) return by_tokens<kPackedTokensMax, HalfRows<widen_bf16>>;
  return packed_kernel_table<GroupRows, Q8_0Sums, Q4_0Sums, Q4_KSums, Q5_KSums, Q6_KSums>(type);
}

}  // namespace tachyon
