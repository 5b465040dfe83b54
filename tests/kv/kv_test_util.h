#pragma once
// Invariant checks shared by the KV and scheduler tests.
#include <gtest/gtest.h>

#include "kv/kv_block_manager.h"

namespace tachyon {

// Every block is free, cached, or held by a live sequence: nothing leaks once all are done.
inline void expect_no_leak(const KvBlockManager& blocks) {
  const KvBlockStats s = blocks.stats();
  EXPECT_EQ(s.n_free + s.n_cached, s.n_blocks);
  EXPECT_EQ(blocks.usage(), 0.0);
}

}  // namespace tachyon
