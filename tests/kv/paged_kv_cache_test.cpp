#include "kv/paged_kv_cache.h"

#include <cstring>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

constexpr KvShape kShape{.n_layer = 2, .n_kv_heads = 2, .head_dim = 4, .dtype = KvDType::F32};

float row_value(int64_t layer, int32_t seq, int32_t pos, bool v) {
  return float(layer * 100000 + seq * 1000 + pos) + (v ? 0.5f : 0.0f);
}

void write_rows(PagedKvCache& kv, int32_t seq, int32_t first, int32_t last) {
  for (int64_t l = 0; l < kShape.n_layer; ++l)
    for (int32_t p = first; p < last; ++p) {
      std::vector<float> k(size_t(kShape.row_elements()), row_value(l, seq, p, false));
      std::vector<float> v(size_t(kShape.row_elements()), row_value(l, seq, p, true));
      std::memcpy(kv.k_row(l, seq, p), k.data(), size_t(kShape.row_bytes()));
      std::memcpy(kv.v_row(l, seq, p), v.data(), size_t(kShape.row_bytes()));
    }
}

float read_k(PagedKvCache& kv, int64_t l, int32_t seq, int32_t p, size_t element) {
  float x;
  std::memcpy(&x, kv.k_row(l, seq, p) + element * sizeof(float), sizeof(float));
  return x;
}

float read_v(PagedKvCache& kv, int64_t l, int32_t seq, int32_t p, size_t element) {
  float x;
  std::memcpy(&x, kv.v_row(l, seq, p) + element * sizeof(float), sizeof(float));
  return x;
}

TEST(PagedKvCache, RowsLandInTheirBlocks) {
  KvBlockManager blocks(8, 4, true);
  PagedKvCache kv(kShape, blocks);
  ASSERT_TRUE(blocks.allocate(1, 4));  // seq 1 takes a block first, so seq 0's are not at the base
  ASSERT_TRUE(blocks.allocate(0, 10));
  ASSERT_TRUE(kv.reserve(0, 10).ok());
  write_rows(kv, 0, 0, 10);

  const auto& table = blocks.block_table(0);
  const size_t row_bytes = size_t(kShape.row_bytes());
  EXPECT_EQ(kv.block_bytes(), size_t(kShape.n_layer) * 4 * row_bytes);
  const uint8_t* base = kv.k_row(0, 0, 0) - size_t(table[0]) * kv.block_bytes();
  for (int64_t l = 0; l < kShape.n_layer; ++l)
    for (int32_t p = 0; p < 10; ++p) {
      const size_t expected = size_t(table[size_t(p / 4)]) * kv.block_bytes() + (size_t(l) * 4 + size_t(p % 4)) * row_bytes;
      EXPECT_EQ(size_t(kv.k_row(l, 0, p) - base), expected) << "layer " << l << " pos " << p;
      for (size_t e = 0; e < size_t(kShape.row_elements()); ++e) {
        EXPECT_EQ(read_k(kv, l, 0, p, e), row_value(l, 0, p, false));
        EXPECT_EQ(read_v(kv, l, 0, p, e), row_value(l, 0, p, true));
      }
    }
}

TEST(PagedKvCache, SharedBlockIsReadByTwoSequences) {
  KvBlockManager blocks(8, 4, true);
  PagedKvCache kv(kShape, blocks);
  std::vector<int32_t> tokens(9);
  std::iota(tokens.begin(), tokens.end(), 40);
  ASSERT_TRUE(blocks.allocate(0, 9));
  write_rows(kv, 0, 0, 9);
  blocks.commit(0, tokens);

  // seq 1 has the same prompt: it shares the two full blocks and computes only position 8.
  ASSERT_EQ(blocks.match_prefix(1, tokens), 8);
  ASSERT_TRUE(blocks.allocate(1, 9));
  ASSERT_TRUE(kv.reserve(1, 9).ok());
  write_rows(kv, 1, 8, 9);
  for (int64_t l = 0; l < kShape.n_layer; ++l) {
    for (int32_t p = 0; p < 8; ++p) {
      EXPECT_EQ(kv.k_row(l, 1, p), kv.k_row(l, 0, p));
      EXPECT_EQ(read_k(kv, l, 1, p, 0), row_value(l, 0, p, false));
      EXPECT_EQ(read_v(kv, l, 1, p, 0), row_value(l, 0, p, true));
    }
    EXPECT_NE(kv.k_row(l, 1, 8), kv.k_row(l, 0, 8));
    EXPECT_EQ(read_k(kv, l, 0, 8, 0), row_value(l, 0, 8, false));
    EXPECT_EQ(read_k(kv, l, 1, 8, 0), row_value(l, 1, 8, false));
  }
}

TEST(PagedKvCache, ReserveFailsBeyondAllocatedBlocks) {
  KvBlockManager blocks(4, 4, false);
  PagedKvCache kv(kShape, blocks);
  EXPECT_FALSE(kv.reserve(0, 1).ok());
  ASSERT_TRUE(blocks.allocate(0, 3));
  EXPECT_TRUE(kv.reserve(0, 4).ok());
  EXPECT_FALSE(kv.reserve(0, 5).ok());
}

}  // namespace
}  // namespace tachyon
