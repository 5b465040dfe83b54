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

#include <cstring>

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

// Decode streams through the weights once per token: ask for the lines 1 KiB ahead so
// that the loads in flight cover the memory latency.
template <typename Packed>
void prefetch_ahead(const Packed* block) {
  constexpr size_t kBytesAhead = 1024;
  const char* p = reinterpret_cast<const char*>(block) + kBytesAhead;
  for (size_t offset = 0; offset < sizeof(Packed); offset += 64) _mm_prefetch(p + offset, _MM_HINT_T0);
  _mm_prefetch(p + sizeof(Packed) - 1, _MM_HINT_T0);
}

template <int N>
void activation_rows(const void* acts, size_t act_stride, const PackedActBlock** rows) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    rows[t] = reinterpret_cast<const PackedActBlock*>(static_cast<const uint8_t*>(acts) + act_stride * static_cast<size_t>(t));
  }
}

// acc[t] = fma(float(sum[t]), weight scales * activation scale, acc[t]) for the eight rows.
template <int N>
void accumulate_block(const uint16_t* weight_d, const PackedActBlock* const* y, int64_t b,
                      const __m256i* sum, __m256* acc) {
  const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(weight_d)));
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(y[t][b].d));
    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[t]), d, acc[t]);
  }
}

template <int N>
void store_rows(const __m256* acc, float* out, size_t out_stride) {
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) _mm256_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// Sums<N>::block(block, y, b, sum) writes each token's exact integer sums of block b for the
// eight rows; this scales and accumulates them.
template <int N, typename Packed, template <int> class Sums>
void packed_rows(int64_t n_cols, const void* group, const void* acts, size_t act_stride, float* out,
                 size_t out_stride) {
  const Packed* x = static_cast<const Packed*>(group);
  const PackedActBlock* y[N];
  activation_rows<N>(acts, act_stride, y);
  __m256 acc[N];
  #pragma GCC unroll 4
  for (__m256& a : acc) a = _mm256_setzero_ps();
  for (int64_t b = 0; b < n_cols / 32; ++b) {
    if constexpr (N == 1) prefetch_ahead(x + b);
    __m256i sum[N];
    Sums<N>::block(x[b], y, b, sum);
    accumulate_block<N>(x[b].d, y, b, sum, acc);
  }
  store_rows<N>(acc, out, out_stride);
}

template <typename Packed, template <int> class Sums>
void dispatch_tokens(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens,
                     float* out, size_t out_stride) {
  static_assert(kPackedTokens == 4, "dispatch_tokens instantiates 1..4 tokens");
  switch (n_tokens) {
    case 1: return packed_rows<1, Packed, Sums>(n_cols, group, acts, act_stride, out, out_stride);
    case 2: return packed_rows<2, Packed, Sums>(n_cols, group, acts, act_stride, out, out_stride);
    case 3: return packed_rows<3, Packed, Sums>(n_cols, group, acts, act_stride, out, out_stride);
    default: return packed_rows<4, Packed, Sums>(n_cols, group, acts, act_stride, out, out_stride);
  }
}

// The kernel table of one level, from its block-sum functors for each packed type.
template <template <int> class Q8_0Sums, template <int> class Q4_0Sums>
PackedDotFn packed_kernel_table(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return dispatch_tokens<PackedQ8_0x8, Q8_0Sums>;
    case GgmlType::Q4_0: return dispatch_tokens<PackedQ4_0x8, Q4_0Sums>;
    default: return nullptr;
  }
}

}  // namespace
}  // namespace tachyon
