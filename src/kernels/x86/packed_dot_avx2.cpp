// AVX2 packed kernels on the shared block loop (x86/packed_block_loop.h).
// The quant-word loops unroll only twice: unrolled fully, GCC hoists every product ahead of
// the sums and spills them to the stack.
#include "kernels/x86/packed_block_loop.h"

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

}  // namespace

PackedDotFn packed_dot_kernel_avx2(GgmlType type) { return packed_kernel_table<Q8_0Sums, Q4_0Sums>(type); }

}  // namespace tachyon
