// AVX-512 VNNI packed kernels on the shared block loop (x86/packed_block_loop.h).
// vpdpbusd multiplies unsigned by signed bytes and adds each group of four into an int32 lane
// without saturation, so one instruction does the work of AVX2's sign, maddubs, madd and add.
// The unsigned side is the weights: Q4_0 nibbles as stored (quant + 8), Q8_0 quants + 128
// (w ^ 0x80 read as unsigned); the offset comes back out exactly as offset * (sum of the
// activation block's quants). The integer block sums are therefore the
// scalar twin's, and so is every float operation after them.
// One group (eight rows) fills a 256-bit vector (AVX-512 VL); the pair kernels further down
// put two groups in a 512-bit vector, which halves the instructions per multiply-add where the
// weights come from cache (prompts), while decode streams one group at a time.
#include "kernels/x86/avx512_intrinsics.h"
#include "kernels/x86/packed_block_loop.h"

namespace tachyon {

namespace {

// sum[t] += (unsigned bytes of words[0..NWords)) x (activation bytes q[t][0 .. 4 NWords)).
// One token alone (decode) splits the chain of dependent vpdpbusd in two; integer sums, so the
// result is the same.
template <int N, int NWords>
void dot_words(const __m256i* words, const int8_t* const* q, __m256i* sum) {
  if constexpr (N == 1) {
    __m256i odd = _mm256_setzero_si256();
    #pragma GCC unroll 8
    for (int k = 0; k < NWords; k += 2) {
      sum[0] = _mm256_dpbusd_epi32(sum[0], words[k], broadcast_word(q[0] + 4 * k));
      odd = _mm256_dpbusd_epi32(odd, words[k + 1], broadcast_word(q[0] + 4 * k + 4));
    }
    sum[0] = _mm256_add_epi32(sum[0], odd);
  } else {
    #pragma GCC unroll 8
    for (int k = 0; k < NWords; ++k) {
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) sum[t] = _mm256_dpbusd_epi32(sum[t], words[k], broadcast_word(q[t] + 4 * k));
    }
  }
}

// sum[t] = sum over the eight 32-bit weight words k of (unsigned bytes of word k) x (activation
// quants 4k..4k+3 of token t), minus offset * (sum of token t's quants).
template <int N>
void unsigned_weight_sums(const __m256i* words, int32_t offset, const PackedActBlock* const* y, int64_t b,
                          __m256i* sum) {
  const int8_t* q[N];
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    sum[t] = _mm256_set1_epi32(-offset * y[t][b].sum);
    q[t] = y[t][b].qs;
  }
  dot_words<N, 8>(words, q, sum);
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

// Q4_K and Q5_K: per sub-block j, the exact sum of quants x activations (vpdpbusd) times
// its scale; the mins against the activation sums per 32 (vpdpwssd on int16 pairs).
template <int N, typename Packed>
struct KWithMinsSums {
  static void superblock(const Packed& x, const PackedActSuperBlock* const* y, int64_t b, __m256* acc) {
    const KScales s = decode_k_scales(x);
    __m256i isum[N], msum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = msum[t] = _mm256_setzero_si256();
    #pragma GCC unroll 1
    for (int j = 0; j < 4; ++j) {
      #pragma GCC unroll 2
      for (int half = 0; half < 2; ++half) {
        const int sub = 2 * j + half;
        const __m256i scale = lane_byte(s.scales[j / 2], 2 * (j % 2) + half);
        __m256i words[8];
        k_words(x, j, half, words);
        const int8_t* q[N];
        __m256i sum[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          q[t] = y[t][b].qs + 32 * sub;
          sum[t] = _mm256_setzero_si256();
        }
        dot_words<N, 8>(words, q, sum);
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sum[t], scale));
      }
    }
    #pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      const __m256i mins = lane_adjacent_bytes(s.mins[p / 2], p % 2);
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) {
        msum[t] = _mm256_dpwssd_epi32(msum[t], mins, broadcast_word(reinterpret_cast<const int8_t*>(y[t][b].bsum32 + 2 * p)));
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

// Q6_K: unsigned values quant + 32 against the activations, less 32 x the activation sum of the
// sub-block, times the sub-block's signed scale.
template <int N>
struct Q6_KSums {
  static void superblock(const PackedQ6_Kx8& x, const PackedActSuperBlock* const* y, int64_t b, __m256* acc) {
    __m256i isum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = _mm256_setzero_si256();
    #pragma GCC unroll 1
    for (int w = 0; w < 4; ++w) {
      const __m256i scale_word = load(x.scales + 32 * w);
      #pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        const int sub = 4 * w + i, c = sub / 2, h = i % 2;
        const __m256i scale = lane_byte_signed(scale_word, i);
        __m256i words[4];
        q6_k_words(x, c, h, words);
        const int8_t* q[N];
        __m256i sum[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          q[t] = y[t][b].qs + 16 * sub;
          sum[t] = _mm256_set1_epi32(-32 * y[t][b].bsum16[sub]);
        }
        dot_words<N, 4>(words, q, sum);
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sum[t], scale));
      }
    }
    accumulate_block<N>(x.d, y, b, isum, acc);
  }
};

// Two adjacent groups at once (16 rows): lane r < 8 of a 512-bit vector is row r of the first
// group, lane 8 + r row r of the second, built from the same 256-bit words as above. Every lane
// does exactly the single-group arithmetic, so the results are the same bits; the pair halves
// the activation broadcasts and the instructions per multiply-add.
__m256i load_pair_halves(const uint16_t* lo, const uint16_t* hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(hi)), 1);
}

// The first group's vector in the low half, the second's in the high half.
__m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

__m512i load_pair(const void* lo, const void* hi) { return join(load(lo), load(hi)); }

__m512i broadcast_word512(const int8_t* p) {
  int32_t word;
  std::memcpy(&word, p, sizeof word);
  return _mm512_set1_epi32(word);
}

// sum[t] += (unsigned bytes of words[0..NWords)) x (activation bytes q[t][0 .. 4 NWords)), for
// both groups; two chains of dependent vpdpbusd per token (even and odd words).
template <int N, int NWords>
void dot_words512(const __m512i* words, const int8_t* const* q, __m512i* sum) {
  __m512i odd[N];
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) odd[t] = _mm512_setzero_si512();
  #pragma GCC unroll 8
  for (int k = 0; k < NWords; k += 2) {
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) {
      sum[t] = _mm512_dpbusd_epi32(sum[t], words[k], broadcast_word512(q[t] + 4 * k));
      odd[t] = _mm512_dpbusd_epi32(odd[t], words[k + 1], broadcast_word512(q[t] + 4 * k + 4));
    }
  }
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) sum[t] = _mm512_add_epi32(sum[t], odd[t]);
}

// sum[t] = the pair's block sums for token t, as unsigned_weight_sums computes them for one group.
template <int N>
void pair_sums(const __m512i* words, int32_t offset, const PackedActBlock* const* y, int64_t b, __m512i* sum) {
  const int8_t* q[N];
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    sum[t] = _mm512_set1_epi32(-offset * y[t][b].sum);
    q[t] = y[t][b].qs;
  }
  dot_words512<N, 8>(words, q, sum);
}

template <int N>
struct Q8_0PairSums {
  static void block(const PackedQ8_0x8& x0, const PackedQ8_0x8& x1, const PackedActBlock* const* y, int64_t b,
                    __m512i* sum) {
    const __m512i sign_bit = _mm512_set1_epi8(static_cast<char>(0x80));
    __m512i words[8];
    #pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) words[k] = _mm512_xor_si512(load_pair(x0.qs + 32 * k, x1.qs + 32 * k), sign_bit);
    pair_sums<N>(words, 128, y, b, sum);
  }
};

template <int N>
struct Q4_0PairSums {
  static void block(const PackedQ4_0x8& x0, const PackedQ4_0x8& x1, const PackedActBlock* const* y, int64_t b,
                    __m512i* sum) {
    const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
    __m512i words[8];
    #pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      const __m512i packed = load_pair(x0.qs + 32 * k, x1.qs + 32 * k);
      words[k] = _mm512_and_si512(packed, low_nibbles);
      words[4 + k] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
    }
    pair_sums<N>(words, 8, y, b, sum);
  }
};

// acc[t] = fma(float(sum[t]), -(weight scales * activation scale), acc[t]) (Negate) or with
// +(...), for the sixteen rows of a pair: accumulate_block's arithmetic, lane for lane.
template <int N, bool Negate = false, typename Act>
void accumulate_pair(const uint16_t* d0, const uint16_t* d1, const Act* const* y, int64_t b, const __m512i* sum,
                     __m512* acc) {
  const __m512 dw = _mm512_cvtph_ps(load_pair_halves(d0, d1));
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) {
    const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(y[t][b].d));
    if constexpr (Negate) {
      acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(sum[t]), d, acc[t]);
    } else {
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[t]), d, acc[t]);
    }
  }
}

// Q4_K and Q5_K for a pair: KWithMinsSums's integer sums, the two groups' words and scales
// decoded as for one group and joined, so every lane computes what it computes there.
template <int N, typename Packed>
struct KWithMinsPairSums {
  static void superblock(const Packed& x0, const Packed& x1, const PackedActSuperBlock* const* y, int64_t b,
                         __m512* acc) {
    const KScales s0 = decode_k_scales(x0), s1 = decode_k_scales(x1);
    __m512i isum[N], msum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = msum[t] = _mm512_setzero_si512();
    #pragma GCC unroll 1
    for (int j = 0; j < 4; ++j) {
      #pragma GCC unroll 2
      for (int half = 0; half < 2; ++half) {
        const int sub = 2 * j + half;
        const int byte = 2 * (j % 2) + half;
        const __m512i scale = join(lane_byte(s0.scales[j / 2], byte), lane_byte(s1.scales[j / 2], byte));
        __m256i w0[8], w1[8];
        k_words(x0, j, half, w0);
        k_words(x1, j, half, w1);
        __m512i words[8];
        #pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) words[k] = join(w0[k], w1[k]);
        const int8_t* q[N];
        __m512i sum[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          q[t] = y[t][b].qs + 32 * sub;
          sum[t] = _mm512_setzero_si512();
        }
        dot_words512<N, 8>(words, q, sum);
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sum[t], scale));
      }
    }
    #pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      const __m512i mins = join(lane_adjacent_bytes(s0.mins[p / 2], p % 2), lane_adjacent_bytes(s1.mins[p / 2], p % 2));
      #pragma GCC unroll 4
      for (int t = 0; t < N; ++t) {
        msum[t] = _mm512_dpwssd_epi32(msum[t], mins, broadcast_word512(reinterpret_cast<const int8_t*>(y[t][b].bsum32 + 2 * p)));
      }
    }
    accumulate_pair<N>(x0.d, x1.d, y, b, isum, acc);
    accumulate_pair<N, true>(x0.dmin, x1.dmin, y, b, msum, acc);
  }
};

template <int N>
using Q4_KPairSums = KWithMinsPairSums<N, PackedQ4_Kx8>;
template <int N>
using Q5_KPairSums = KWithMinsPairSums<N, PackedQ5_Kx8>;

// Q6_K for a pair: Q6_KSums's integer sums, words and scales joined as above.
template <int N>
struct Q6_KPairSums {
  static void superblock(const PackedQ6_Kx8& x0, const PackedQ6_Kx8& x1, const PackedActSuperBlock* const* y,
                         int64_t b, __m512* acc) {
    __m512i isum[N];
    #pragma GCC unroll 4
    for (int t = 0; t < N; ++t) isum[t] = _mm512_setzero_si512();
    #pragma GCC unroll 1
    for (int w = 0; w < 4; ++w) {
      const __m256i scale_word0 = load(x0.scales + 32 * w), scale_word1 = load(x1.scales + 32 * w);
      #pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        const int sub = 4 * w + i, c = sub / 2, h = i % 2;
        const __m512i scale = join(lane_byte_signed(scale_word0, i), lane_byte_signed(scale_word1, i));
        __m256i w0[4], w1[4];
        q6_k_words(x0, c, h, w0);
        q6_k_words(x1, c, h, w1);
        __m512i words[4];
        #pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) words[k] = join(w0[k], w1[k]);
        const int8_t* q[N];
        __m512i sum[N];
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) {
          q[t] = y[t][b].qs + 16 * sub;
          sum[t] = _mm512_set1_epi32(-32 * y[t][b].bsum16[sub]);
        }
        dot_words512<N, 4>(words, q, sum);
        #pragma GCC unroll 4
        for (int t = 0; t < N; ++t) isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(sum[t], scale));
      }
    }
    accumulate_pair<N>(x0.d, x1.d, y, b, isum, acc);
  }
};

// Sixteen rows for N tokens. No prefetch: matmul takes pairs only where the tile's weights
// are already in cache.
template <int N, typename Packed, template <int> class Sums>
[[gnu::flatten]] void pair_rows(int64_t n_cols, const void* group, const void* acts, size_t act_stride, bool add,
                                float* out, size_t out_stride) {
  using Act = typename Packed::Act;
  const int64_t n_blocks = n_cols / Packed::kElems;
  const Packed* x0 = static_cast<const Packed*>(group);
  const Packed* x1 = x0 + n_blocks;
  const Act* y[N];
  activation_rows<N>(acts, act_stride, y);
  __m512 acc[N];
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) acc[t] = add ? _mm512_loadu_ps(out + static_cast<size_t>(t) * out_stride) : _mm512_setzero_ps();
  for (int64_t b = 0; b < n_blocks; ++b) {
    if constexpr (Packed::kElems == 32) {
      __m512i sum[N];
      Sums<N>::block(x0[b], x1[b], y, b, sum);
      accumulate_pair<N>(x0[b].d, x1[b].d, y, b, sum, acc);
    } else {
      Sums<N>::superblock(x0[b], x1[b], y, b, acc);
    }
  }
  #pragma GCC unroll 4
  for (int t = 0; t < N; ++t) _mm512_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// The rows of two groups (pair_rows), as by_tokens picks them.
template <typename Packed, template <int> class Sums>
struct PairRows {
  template <int N>
  constexpr RowsFn operator()() const { return pair_rows<N, Packed, Sums>; }
};

// F16 and BF16 (packed_weights.h): a 512-bit vector holds four rows by four columns, lane
// 4j + i being chain c_i of its row j (the AVX2 kernel's lanes, twice as many), against the
// quad's four activations broadcast to all four 128-bit lanes. Eight rows are two vectors, so
// eight tokens fit in registers in one pass.
__m512 widen_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
__m512 widen_bf16(const uint16_t* p) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

template <int N, __m512 (*Widen)(const uint16_t*)>
void half_tokens(int64_t n_cols, const void* group, const void* acts, size_t act_stride, bool /*add: one tile*/,
                 float* out, size_t out_stride) {
  const int64_t n_quads = n_cols / PackedHalfx8::kElems;
  const PackedHalfx8* x = static_cast<const PackedHalfx8*>(group);
  const float* y[N];
  activation_rows<N>(acts, act_stride, y);
  __m512 acc[N][2];
  #pragma GCC unroll 8
  for (int t = 0; t < N; ++t) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
  for (int64_t q = 0; q < n_quads; ++q) {
    const __m512 w0 = Widen(x[q].v);
    const __m512 w1 = Widen(x[q].v + 16);
    #pragma GCC unroll 8
    for (int t = 0; t < N; ++t) {
      const __m512 a = _mm512_broadcast_f32x4(_mm_loadu_ps(y[t] + 4 * q));
      acc[t][0] = _mm512_fmadd_ps(w0, a, acc[t][0]);
      acc[t][1] = _mm512_fmadd_ps(w1, a, acc[t][1]);
    }
  }
  for (int t = 0; t < N; ++t) {
    alignas(64) float c[2][16];
    _mm512_store_ps(c[0], acc[t][0]);
    _mm512_store_ps(c[1], acc[t][1]);
    for (int r = 0; r < kPackRows; ++r) {
      const float* l = c[r / 4] + 4 * (r % 4);
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = (l[0] + l[1]) + (l[2] + l[3]);
    }
  }
}

template <__m512 (*Widen)(const uint16_t*)>
struct HalfRows {
  template <int N>
  constexpr RowsFn operator()() const { return half_tokens<N, Widen>; }
};

}  // namespace

PackedDotFn packed_dot_pair_kernel_avx512(GgmlType type) {
  return packed_kernel_table<PairRows, Q8_0PairSums, Q4_0PairSums, Q4_KPairSums, Q5_KPairSums, Q6_KPairSums>(type);
}

PackedDotFn packed_dot_kernel_avx512(GgmlType type) {
  if (type == GgmlType::F16) return by_tokens<kPackedTokensMax, HalfRows<widen_f16>>;
  if (type == GgmlType::BF16) return by_tokens<kPackedTokensMax, HalfRows<widen_bf16>>;
  return packed_kernel_table<GroupRows, Q8_0Sums, Q4_0Sums, Q4_KSums, Q5_KSums, Q6_KSums>(type);
}

}  // namespace tachyon
