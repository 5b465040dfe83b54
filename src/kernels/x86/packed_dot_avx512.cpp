// AVX-512 VNNI packed kernels on the shared block loop (x86/packed_block_loop.h).
// vpdpbusd multiplies unsigned by signed bytes and adds each group of four into an int32 lane
// without saturation, so one instruction does the work of AVX2's sign, maddubs, madd and add.
// The unsigned side is the weights: Q4_0 nibbles as stored (quant + 8), Q8_0 quants + 128
// (w ^ 0x80 read as unsigned); the offset comes back out exactly as offset * (sum of the
// activation block's quants). The integer block sums are therefore the
// scalar twin's, and so is every float operation after them.
// 256-bit (AVX-512 VL) rather than 512-bit vectors: eight packed rows fill 256 bits, the
// broadcast of an activation word stays a plain load, and 256-bit vpdpbusd issues on two
// ports of every AVX-512 core.
#include "kernels/x86/avx512_intrinsics.h"
#include "kernels/x86/packed_block_loop.h"

namespace tachyon {

namespace {

// sum[t] = sum over the eight 32-bit weight words k of (unsigned bytes of word k) x (activation
// quants 4k..4k+3 of token t), minus offset * (sum of token t's quants).
template <int N>
void unsigned_weight_sums(const __m256i* words, int32_t offset, const PackedActBlock* const* y, int64_t b,
                          __m256i* sum) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) sum[t] = _mm256_set1_epi32(-offset * y[t][b].sum);
  #pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) sum[t] = _mm256_dpbusd_epi32(sum[t], words[k], broadcast_word(y[t][b].qs + 4 * k));
  }
}

template <int N>
struct Q8_0Sums {
  static void block(const PackedQ8_0x8& x, const PackedActBlock* const* y, int64_t b, __m256i* sum) {
    const __m256i sign_bit = _mm256_set1_epi8(static_cast<char>(0x80));
    __m256i words[8];
    #pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) words[k] = _mm256_xor_si256(load(x.qs + 32 * k), sign_bit);
    unsigned_weight_sums<N>(words, 128, y, b, sum);
  }
};

// Byte k of a packed Q4_0 word holds quants 4k+i (low nibble) and 16+4k+i (high nibble), so
// the low nibbles are weight words 0..3 and the high nibbles words 4..7.
template <int N>
struct Q4_0Sums {
  static void block(const PackedQ4_0x8& x, const PackedActBlock* const* y, int64_t b, __m256i* sum) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    __m256i words[8];
    #pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      const __m256i packed = load(x.qs + 32 * k);
      words[k] = _mm256_and_si256(packed, low_nibbles);
      words[4 + k] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
    }
    unsigned_weight_sums<N>(words, 8, y, b, sum);
  }
};

}  // namespace

PackedDotFn packed_dot_kernel_avx512(GgmlType type) { return packed_kernel_table<Q8_0Sums, Q4_0Sums>(type); }

}  // namespace tachyon
