// matmul must equal one vec_dot per (token, row), bit for bit, whatever the batch size and
// the number of threads (batch invariance).
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cstring>
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
      for (int64_t n_tokens : {1, 3, 17}) {
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
