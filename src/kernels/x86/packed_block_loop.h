#pragma once
// The block loop every x86 packed kernel shares (layouts in packed_kernels.h, arithmetic in
// packed_weights.h). Lane r of every 256-bit vector belongs to row r of the group, so block
// sums need no horizontal reduction. Up to kPackedTokens activation rows share each weight
// load (prefill and batched decode); a single row (decode) prefetches the weight stream ahead
// instead.
//
// Included only by the x86 kernel files, each compiled with its own -m flags. Everything here
// has internal linkage on purpose: an inline function shared across those files could be
// merged by the linker into the copy built for the widest ISA and then run on a CPU without it.
//
// The unroll pragmas unroll the per-token loops fully, so the per-token accumulator arrays
// live in registers.
#include <immintrin.h>

#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/packed_kernels.h"

namespace tachyon {
namespace {

__m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Four activation bytes, broadcast to the eight row lanes.
__m256i broadcast_word(const int8_t* p) {
  int32_t word;
  std::memcpy(&word, p, sizeof word);
  return _mm256_set1_epi32(word);
}

// Decode streams through the weights once per token: ask for the lines kPrefetchBytes ahead
// into L2 (prefetcht1; on Zen it fills L2 and leaves the L1 miss buffers to the loads), so that
// the reads in flight cover the memory latency. On Zen 5, against prefetcht0 4 KiB ahead, five
// alternated rounds gave tg +5% (Q4_0), +8% (Q8_0) and +6% (Q4_K_M); 16 and 32 KiB no better,
// and a copy of the Q4_0 loop then streamed 89-99% of a plain read of the same
// bytes (83-88% before).
inline constexpr size_t kPrefetchBytes = 8192;

template <typename Packed>
void prefetch_ahead(const Packed* block) {
  const char* p = reinterpret_cast<const char*>(block) + kPrefetchBytes;
  for (size_t offset = 0; offset < sizeof(Packed); offset += 64) _mm_prefetch(p + offset, _MM_HINT_T1);
  _mm_prefetch(p + sizeof(Packed) - 1, _MM_HINT_T1);
}

template <int N, typename Act>
void activation_rows(const void* acts, size_t act_stride, const Act** rows) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    rows[t] = reinterpret_cast<const Act*>(static_cast<const uint8_t*>(acts) + act_stride * static_cast<size_t>(t));
  }
}

// acc[t] = fma(float(sum[t]), weight scales * activation scale, acc[t]) for the eight rows, or
// with Negate, fma(float(sum[t]), -(weight scales * activation scale), acc[t]).
template <int N, bool Negate = false, typename Act>
void accumulate_block(const uint16_t* weight_d, const Act* const* y, int64_t b, const __m256i* sum, __m256* acc) {
  const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(weight_d)));
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(y[t][b].d));
    if constexpr (Negate) {
      acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(sum[t]), d, acc[t]);
    } else {
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), d, acc[t]);
    }
  }
}

template <int N>
void store_rows(const __m256* acc, float* out, size_t out_stride) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) _mm256_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// For blocks of 32 (Q8_0, Q4_0), Sums<N>::block(block, y, b, sum) writes each token's exact
// integer sums of block b for the eight rows and this scales and accumulates them; for
// super-blocks (the K-quants), Sums<N>::superblock(block, y, b, acc) does both. Flattened:
// everything it calls is inlined, so the word, sum and accumulator arrays stay in registers
// whatever the inliner's size limits make of the larger instantiations.
template <int N, typename Packed, template <int> class Sums>
[[gnu::flatten]] void packed_rows(int64_t n_cols, const void* group, const void* acts, size_t act_stride, bool add,
                                  float* out, size_t out_stride) {
  using Act = typename Packed::Act;
  const Packed* x = static_cast<const Packed*>(group);
  const Act* y[N];
  activation_rows<N>(acts, act_stride, y);
  __m256 acc[N];
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) acc[t] = add ? _mm256_loadu_ps(out + static_cast<size_t>(t) * out_stride) : _mm256_setzero_ps();
  for (int64_t b = 0; b < n_cols / Packed::kElems; ++b) {
    if constexpr (N == 1) prefetch_ahead(x + b);
    if constexpr (Packed::kElems == 32) {
      __m256i sum[N];
      Sums<N>::block(x[b], y, b, sum);
      accumulate_block<N>(x[b].d, y, b, sum, acc);
    } else {
      Sums<N>::superblock(x[b], y, b, acc);
    }
  }
  store_rows<N>(acc, out, out_stride);
}

// A vpshufb control that applies `pattern` to every 32-bit lane: byte b of the pattern is the
// index (0..3) within the lane of the byte that goes to position b, or 0x80 for zero.
constexpr std::array<uint32_t, 8> lane_control(uint32_t pattern) {
  std::array<uint32_t, 8> lanes{};
  for (uint32_t q = 0; q < 8; ++q) {
    for (int b = 0; b < 4; ++b) {
      const uint32_t index = pattern >> (8 * b) & 0xFF;
      lanes[q] |= (index & 0x80 ? 0x80 : index + 4 * (q % 4)) << (8 * b);
    }
  }
  return lanes;
}

// Controls in constant tables, loaded per use: no vector code runs before main.
using LaneControls = std::array<std::array<uint32_t, 8>, 4>;
alignas(32) constexpr LaneControls kByteControls = {lane_control(0x80808000u), lane_control(0x80808001u),
                                                    lane_control(0x80808002u), lane_control(0x80808003u)};
alignas(32) constexpr LaneControls kBytePairControls = {lane_control(0x80008000u), lane_control(0x80018001u),
                                                        lane_control(0x80028002u), lane_control(0x80038003u)};
alignas(32) constexpr LaneControls kTopByteControls = {lane_control(0x00808080u), lane_control(0x01808080u),
                                                       lane_control(0x02808080u), lane_control(0x03808080u)};
alignas(32) constexpr LaneControls kAdjacentPairControls = {lane_control(0x80018000u), lane_control(0x80038002u),
                                                            lane_control(0x80018000u), lane_control(0x80038002u)};

__m256i shuffle_lanes(__m256i v, const LaneControls& controls, int i) {
  return _mm256_shuffle_epi8(v, load(controls[static_cast<size_t>(i)].data()));
}

// Lane r of the result: byte i of lane r of v (i in 0..3) zero-extended to 32 bits.
[[maybe_unused]] __m256i lane_byte(__m256i v, int i) { return shuffle_lanes(v, kByteControls, i); }

// Lane r of the result: the int16 pair (byte i, byte i) of lane r of v, zero-extended.
[[maybe_unused]] __m256i lane_byte_twice(__m256i v, int i) { return shuffle_lanes(v, kBytePairControls, i); }

// Lane r of the result: the int16 pair (byte 2p, byte 2p + 1) of lane r of v (p in 0..1), zero-extended.
__m256i lane_adjacent_bytes(__m256i v, int p) { return shuffle_lanes(v, kAdjacentPairControls, p); }

// Lane r of the result: byte i of lane r of v sign-extended to 32 bits.
__m256i lane_byte_signed(__m256i v, int i) { return _mm256_srai_epi32(shuffle_lanes(v, kTopByteControls, i), 24); }

// The 6-bit scales and mins of one Q4_K or Q5_K super-block of the eight rows: byte j % 4 of
// lane r of scales[j / 4] (mins[j / 4]) is scale (min) j of row r.
struct KScales {
  __m256i scales[2];
  __m256i mins[2];
};

template <typename Packed>
KScales decode_k_scales(const Packed& x) {
  const __m256i six_bits = _mm256_set1_epi8(0x3F);
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i top_bits = _mm256_set1_epi8(0x30);  // bits 6..7 of a byte, shifted down by 2
  const __m256i w0 = load(x.scales), w1 = load(x.scales + 32), w2 = load(x.scales + 64);
  KScales s;
  s.scales[0] = _mm256_and_si256(w0, six_bits);
  s.mins[0] = _mm256_and_si256(w1, six_bits);
  s.scales[1] = _mm256_or_si256(_mm256_and_si256(w2, low_nibbles), _mm256_and_si256(_mm256_srli_epi16(w0, 2), top_bits));
  s.mins[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(w2, 4), low_nibbles),
                              _mm256_and_si256(_mm256_srli_epi16(w1, 2), top_bits));
  return s;
}

// The eight words of sub-block 2j + half of a packed Q4_K (Q5_K) super-block as unsigned quants
// in [0, 15] ([0, 31]: the nibble and the fifth bit, bit 2j + half of the qh word).
template <typename Packed>
void k_words(const Packed& x, int j, int half, __m256i* words) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  #pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    const __m256i packed = load(x.qs + 32 * (8 * j + k));
    words[k] = _mm256_and_si256(half == 0 ? packed : _mm256_srli_epi16(packed, 4), low_nibbles);
  }
  if constexpr (std::is_same_v<Packed, PackedQ5_Kx8>) {
    const __m256i bit = _mm256_set1_epi8(0x01);
    const int sub = 2 * j + half;
    #pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      const __m256i fifth = _mm256_and_si256(_mm256_srli_epi16(load(x.qh + 32 * k), sub), bit);
      words[k] = _mm256_or_si256(words[k], _mm256_slli_epi16(fifth, 4));
    }
  }
}

// The four words of Q6_K sub-block 2c + h, as unsigned values quant + 32 in [0, 63].
void q6_k_words(const PackedQ6_Kx8& x, int c, int h, __m256i* words) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i high_bits = _mm256_set1_epi8(0x30);
  const __m256i high = load(x.qh + 64 * c + 32 * h);
  const __m256i highs[4] = {_mm256_slli_epi16(high, 4), _mm256_slli_epi16(high, 2), high, _mm256_srli_epi16(high, 2)};
  #pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m256i packed = load(x.ql + 128 * c + 32 * k);
    const __m256i low = _mm256_and_si256(h == 0 ? packed : _mm256_srli_epi16(packed, 4), low_nibbles);
    words[k] = _mm256_or_si256(low, _mm256_and_si256(highs[k], high_bits));
  }
}

// One kernel call's rows for a fixed token count: Rows(n_cols, group, acts, act_stride, add, out, out_stride).
using RowsFn = void (*)(int64_t, const void*, const void*, size_t, bool, float*, size_t);

// A PackedDotFn over the instantiations Pick{}.operator()<N>() (a RowsFn for N tokens), N = 1 ..
// MaxTokens: one table per kernel, indexed by the call's token count.
template <int MaxTokens, typename Pick>
void by_tokens(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens, bool add,
               float* out, size_t out_stride) {
  static constexpr auto kByTokens = []<int... I>(std::integer_sequence<int, I...>) {
    return std::array<RowsFn, MaxTokens>{Pick{}.template operator()<I + 1>()...};
  }(std::make_integer_sequence<int, MaxTokens>{});
  kByTokens[static_cast<size_t>(n_tokens - 1)](n_cols, group, acts, act_stride, add, out, out_stride);
}

// The rows of one group (packed_rows), as by_tokens picks them.
template <typename Packed, template <int> class Sums>
struct GroupRows {
  template <int N>
  constexpr RowsFn operator()() const { return packed_rows<N, Packed, Sums>; }
};

// The kernel table of one level, from its block-sum functors for each packed type; Rows is
// GroupRows, or a kernel's own picker of the same shape (the AVX-512 pairs of groups).
template <template <typename, template <int> class> class Rows, template <int> class Q8_0Sums,
          template <int> class Q4_0Sums, template <int> class Q4_KSums, template <int> class Q5_KSums,
          template <int> class Q6_KSums>
PackedDotFn packed_kernel_table(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return by_tokens<kPackedTokens, Rows<PackedQ8_0x8, Q8_0Sums>>;
    case GgmlType::Q4_0: return by_tokens<kPackedTokens, Rows<PackedQ4_0x8, Q4_0Sums>>;
    case GgmlType::Q4_K: return by_tokens<kPackedTokens, Rows<PackedQ4_Kx8, Q4_KSums>>;
    case GgmlType::Q5_K: return by_tokens<kPackedTokens, Rows<PackedQ5_Kx8, Q5_KSums>>;
    case GgmlType::Q6_K: return by_tokens<kPackedTokens, Rows<PackedQ6_Kx8, Q6_KSums>>;
    default: return nullptr;
  }
}

}  // namespace
}  // namespace tachyon
