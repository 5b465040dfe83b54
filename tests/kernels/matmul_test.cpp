// matmul must equal one vec_dot per (token, row), bit for bit, whatever the batch size and
// the number of threads (batch invariance), including when tokens go through the
// multi-column kernels.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/vec_dot.h"

namespace tachyon {
namespace {

using testing::kWeightTypes;
using testing::quantized;
using testing::random_row;

constexpr int64_t kRows = 37;  // odd, so thread chunks and row tiles have ragged ends
constexpr int64_t kCols = 512;
constexpr int64_t kMaxTokens = 17;

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(Matmul, BatchAndThreadInvariant) {
  const std::vector<float> x = random_row(kMaxTokens * kCols, 99);  // (tokens, cols)
  for (GgmlType type : kWeightTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const size_t row_bytes = ggml_row_size(type, kCols);
    std::vector<uint8_t> weights(row_bytes * kRows);
    for (int64_t r = 0; r < kRows; ++r) {
      const std::vector<uint8_t> row = quantized(type, random_row(kCols, 500 + static_cast<uint32_t>(r)));
      std::memcpy(weights.data() + r * row_bytes, row.data(), row_bytes);
    }
    const WeightMatrix w{type, weights.data(), kRows, kCols, row_bytes};

    // Expected: one dispatched vec_dot per (token, row).
    std::vector<float> expected(kMaxTokens * kRows);
    std::vector<uint8_t> act(activation_row_bytes(type, kCols));
    for (int64_t t = 0; t < kMaxTokens; ++t) {
      convert_activation_row(type, x.data() + t * kCols, act.data(), kCols);
      for (int64_t r = 0; r < kRows; ++r) {
        expected[t * kRows + r] = vec_dot(type, kCols, weights.data() + r * row_bytes, act.data());
      }
    }

    for (int n_threads : {1, 2, 3}) {
      ThreadPool pool(n_threads);
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 6, 7, 8, 9, 17}) {
        std::vector<float> y(n_tokens * kRows, -1.0f);
        matmul(w, x.data(), y.data(), n_tokens, pool);
        for (int64_t i = 0; i < n_tokens * kRows; ++i) {
          ASSERT_TRUE(same_bits(y[i], expected[i]))
              << "threads=" << n_threads << " n_tokens=" << n_tokens << " token=" << i / kRows
              << " row=" << i % kRows << ": " << y[i] << " vs " << expected[i];
        }
      }
    }
  }
}

// The multi-column kernel of every level, column by column, against that level's single-row
// kernel: bit-identical, over many random rows and a long row (many blocks).
TEST(Matmul, ColumnKernelsMatchSingleRowKernel) {
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (!isa_available(isa)) continue;
    SCOPED_TRACE(std::string(isa_name(isa)));
    for (GgmlType type : kWeightTypes) {
      SCOPED_TRACE(ggml_type_name(type));
      const VecDotColumnsFn columns = resolve_vec_dot_columns(isa, type);
      if (columns == nullptr) continue;
      const VecDotFn single = resolve_vec_dot(isa, type);
      for (int64_t n : {int64_t{256}, int64_t{4096}}) {
        const size_t act_bytes = activation_row_bytes(type, n);
        std::vector<uint8_t> acts(act_bytes * kVecDotColumns);
        for (int c = 0; c < kVecDotColumns; ++c) {
          const std::vector<float> x = random_row(n, 7000 + static_cast<uint32_t>(c + n));
          convert_activation_row(type, x.data(), acts.data() + act_bytes * c, n);
        }
        for (uint32_t r = 0; r < 25; ++r) {
          const std::vector<uint8_t> row = quantized(type, random_row(n, 900 + r));
          float out[kVecDotColumns];
          columns(n, row.data(), acts.data(), act_bytes, out);
          for (int c = 0; c < kVecDotColumns; ++c) {
            const float want = single(n, row.data(), acts.data() + act_bytes * c);
            ASSERT_TRUE(same_bits(out[c], want)) << "n=" << n << " row=" << r << " column=" << c
                                                 << ": " << out[c] << " vs " << want;
          }
        }
      }
    }
  }
}

// The benchmarked weight types do get a multi-column kernel on AVX2, so the batch-invariance
// test above exercises it there.
TEST(Matmul, Avx2HasColumnKernelsForMainTypes) {
  if (!isa_available(Isa::Avx2)) GTEST_SKIP() << "this CPU lacks AVX2";
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q6_K, GgmlType::Q4_K}) {
    EXPECT_NE(resolve_vec_dot_columns(Isa::Avx2, type), nullptr) << ggml_type_name(type);
  }
}

TEST(Matmul, EmptyBatchWritesNothing) {
  const std::vector<uint8_t> weights = quantized(GgmlType::Q8_0, random_row(kCols, 3));
  const WeightMatrix w{GgmlType::Q8_0, weights.data(), 1, kCols, weights.size()};
  ThreadPool pool(2);
  float y = 5.0f;
  matmul(w, nullptr, &y, 0, pool);
  EXPECT_EQ(y, 5.0f);
}

}  // namespace
}  // namespace tachyon
