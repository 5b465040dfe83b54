// ThreadPool::parallel_for covers every index exactly once, for any size and thread count,
// and never runs two calls with the same thread index at once (per-thread scratch relies on it).
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

namespace tachyon {
namespace {

TEST(ThreadPool, EveryIndexExactlyOnce) {
  for (int n_threads : {1, 2, 3, 5}) {
    ThreadPool pool(n_threads);
    EXPECT_EQ(pool.size(), n_threads);
    for (int64_t n : {0, 1, 2, 7, 16, 17, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::vector<std::atomic<int>> busy(static_cast<size_t>(n_threads));
      std::atomic<bool> overlapped{false};
      pool.parallel_for(n, [&](int64_t begin, int64_t end, int thread) {
        ASSERT_GE(thread, 0);
        ASSERT_LT(thread, n_threads);
        ASSERT_LT(begin, end);
        if (busy[static_cast<size_t>(thread)].fetch_add(1) != 0) overlapped = true;
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        busy[static_cast<size_t>(thread)].fetch_sub(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
      EXPECT_FALSE(overlapped.load());
    }
  }
}

// Each chunk is a share of what is left when it is taken: half of it over the thread count, at
// least one index. So the first chunks are long (one memory stream per thread in a decode
// matmul), the last ones single indices (little waiting at the end), and the boundaries are
// the same on every call whichever thread takes which chunk.
TEST(ThreadPool, ChunksShrinkWithWhatIsLeft) {
  for (int n_threads : {2, 3}) {
    ThreadPool pool(n_threads);
    for (int64_t n : {5, 100, 1001}) {
      std::mutex mutex;
      std::map<int64_t, int64_t> chunks;  // begin -> end
      pool.parallel_for(n, [&](int64_t begin, int64_t end, int) {
        std::lock_guard lock(mutex);
        chunks[begin] = end;
      });
      int64_t expected_begin = 0;
      for (const auto& [begin, end] : chunks) {
        ASSERT_EQ(begin, expected_begin);
        EXPECT_EQ(end - begin, std::max<int64_t>(1, (n - begin) / (2 * n_threads))) << "n=" << n << " begin=" << begin;
        expected_begin = end;
      }
      EXPECT_EQ(expected_begin, n);
      EXPECT_EQ(std::prev(chunks.end())->second - std::prev(chunks.end())->first, 1);
    }
  }
}

TEST(ThreadPool, ManyJobsBackToBack) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  for (int job = 0; job < 2000; ++job) {
    pool.parallel_for(64, [&](int64_t begin, int64_t end, int) { total.fetch_add(end - begin); });
  }
  EXPECT_EQ(total.load(), 2000 * 64);
}

}  // namespace
}  // namespace tachyon
