#include "kv/kv_block_manager.h"
#include "kv_test_util.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

std::vector<int32_t> iota_tokens(int32_t n, int32_t first) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

TEST(KvBlockManager, AllocatesWholeBlocksAndFreesThem) {
  KvBlockManager m(4, 4, true);
  EXPECT_EQ(m.blocks_needed(0, 5), 2);
  ASSERT_TRUE(m.allocate(0, 5));
  EXPECT_EQ(m.block_table(0).size(), 2u);
  EXPECT_EQ(m.blocks_needed(0, 8), 0);
  EXPECT_EQ(m.blocks_needed(0, 9), 1);
  EXPECT_DOUBLE_EQ(m.usage(), 0.5);

  // Not enough blocks: false and nothing changes.
  EXPECT_FALSE(m.allocate(1, 12));
  EXPECT_TRUE(m.block_table(1).empty());
  EXPECT_EQ(m.stats().n_free, 2);

  ASSERT_TRUE(m.allocate(1, 8));
  EXPECT_EQ(m.stats().n_free, 0);
  m.free(0);
  m.free(1);
  EXPECT_EQ(m.stats().n_free, 4);
  EXPECT_EQ(m.stats().n_cached, 0);  // nothing committed
  expect_no_leak(m);
}

TEST(KvBlockManager, PrefixBlocksAreSharedNotCopied) {
  KvBlockManager m(16, 4, true);
  std::vector<int32_t> a = iota_tokens(14, 100);  // 3 full blocks + 2 tokens
  EXPECT_EQ(m.match_prefix(0, a), 0);
  ASSERT_TRUE(m.allocate(0, 14));
  m.commit(0, a);

  std::vector<int32_t> b(a.begin(), a.begin() + 12);
  b.push_back(7);  // same 3-block prefix, different tail
  EXPECT_EQ(m.match_prefix(1, b), 12);
  ASSERT_TRUE(m.allocate(1, 13));
  const auto& ta = m.block_table(0);
  const auto& tb = m.block_table(1);
  ASSERT_EQ(tb.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(ta[i], tb[i]);
  EXPECT_NE(ta[3], tb[3]);
  EXPECT_EQ(m.stats().n_free, 16 - 5);  // 4 + 1 blocks, not 8

  // A prompt of exactly 3 full cached blocks keeps its last token to compute.
  std::vector<int32_t> c(a.begin(), a.begin() + 12);
  EXPECT_EQ(m.match_prefix(2, c), 8);
  EXPECT_EQ(m.stats().prefix_queries, 14u + 13u);  // seq 2's lookup counts once it has its blocks
  EXPECT_EQ(m.stats().prefix_hits, 12u);
  ASSERT_TRUE(m.allocate(2, 12));
  EXPECT_EQ(m.stats().prefix_queries, 14u + 13u + 12u);
  EXPECT_EQ(m.stats().prefix_hits, 12u + 8u);

  m.free(2);
  m.free(1);
  m.free(0);
  EXPECT_EQ(m.stats().n_cached, 3);
  expect_no_leak(m);
}

TEST(KvBlockManager, HashChainsOverTheParentBlock) {
  KvBlockManager m(8, 2, true);
  const std::vector<int32_t> a = {1, 2, 3, 4, 5};
  ASSERT_TRUE(m.allocate(0, 5));
  m.commit(0, a);
  m.free(0);
  // Block {3, 4} is cached, but only after {1, 2}.
  const std::vector<int32_t> b = {9, 9, 3, 4, 5};
  EXPECT_EQ(m.match_prefix(1, b), 0);
  m.free(1);
  EXPECT_EQ(m.match_prefix(1, a), 4);
  m.free(1);
  expect_no_leak(m);
}

TEST(KvBlockManager, EvictsLeastRecentlyReleasedCachedBlocks) {
  KvBlockManager m(4, 4, true);
  const std::vector<int32_t> a = iota_tokens(9, 0);
  const std::vector<int32_t> b = iota_tokens(9, 50);
  ASSERT_TRUE(m.allocate(0, 8));
  m.commit(0, a);
  m.free(0);
  ASSERT_TRUE(m.allocate(0, 8));
  m.commit(0, b);
  m.free(0);
  EXPECT_EQ(m.stats().n_free, 0);
  EXPECT_EQ(m.stats().n_cached, 4);

  // One block is needed: a's tail block was released first, so it goes first.
  ASSERT_TRUE(m.allocate(1, 4));
  EXPECT_EQ(m.stats().n_cached, 3);
  EXPECT_EQ(m.match_prefix(2, b), 8);
  EXPECT_EQ(m.match_prefix(3, a), 4);
  m.free(1);
  m.free(2);
  m.free(3);
  expect_no_leak(m);
}

TEST(KvBlockManager, SameContentComputedTwiceIsCachedOnce) {
  KvBlockManager m(8, 4, true);
  const std::vector<int32_t> a = iota_tokens(8, 3);
  ASSERT_TRUE(m.allocate(0, 8));
  ASSERT_TRUE(m.allocate(1, 8));
  m.commit(0, a);
  m.commit(1, a);
  m.free(0);
  m.free(1);
  EXPECT_EQ(m.stats().n_cached, 2);
  EXPECT_EQ(m.stats().n_free, 6);
  expect_no_leak(m);
}

TEST(KvBlockManager, CommitsOnlyFullBlocksIncrementally) {
  KvBlockManager m(8, 4, true);
  std::vector<int32_t> a = iota_tokens(6, 0);
  ASSERT_TRUE(m.allocate(0, 6));
  m.commit(0, a);  // one full block
  a.push_back(6);
  a.push_back(7);
  m.commit(0, a);  // the second one fills later
  m.free(0);
  EXPECT_EQ(m.stats().n_cached, 2);
  a.push_back(8);
  EXPECT_EQ(m.match_prefix(0, a), 8);
  m.free(0);
  expect_no_leak(m);
}

TEST(KvBlockManager, WithoutPrefixCachingNothingIsShared) {
  KvBlockManager m(4, 4, false);
  const std::vector<int32_t> a = iota_tokens(9, 0);
  ASSERT_TRUE(m.allocate(0, 9));
  m.commit(0, a);
  m.free(0);
  EXPECT_EQ(m.match_prefix(0, a), 0);
  EXPECT_EQ(m.stats().n_cached, 0);
  EXPECT_EQ(m.stats().n_free, 4);
}

}  // namespace
}  // namespace tachyon
