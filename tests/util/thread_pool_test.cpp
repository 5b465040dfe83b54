// ThreadPool::parallel_for covers every index exactly once, for any size and thread count,
// and never runs two calls with the same thread index at once (per-thread scratch relies on it).
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
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

// Every thread starts on its own share and takes it front to back in adjacent steps (one
// memory stream per thread in a decode matmul); whatever it takes from another thread's share
// comes off that share's back. Every index is taken once, whoever takes it.
TEST(ThreadPool, ThreadsTakeTheirSharesFrontToBack) {
  for (int n_threads : {2, 3}) {
    ThreadPool pool(n_threads);
    for (int64_t n : {5, 100, 1001}) {
      std::mutex mutex;
      std::vector<std::vector<std::pair<int64_t, int64_t>>> taken(static_cast<size_t>(n_threads));
      std::atomic<int> started{0};
      pool.parallel_for(n, [&](int64_t begin, int64_t end, int thread) {
        bool first;
        {
          std::lock_guard lock(mutex);
          first = taken[static_cast<size_t>(thread)].empty();
          taken[static_cast<size_t>(thread)].push_back({begin, end});
        }
        if (!first) return;
        // Hold every thread in its first step until all have one, so none finishes its share
        // (and starts on another's) before the others have started on theirs.
        started.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (started.load() < n_threads && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      });
      ASSERT_EQ(started.load(), n_threads);
      std::vector<int> hits(static_cast<size_t>(n));
      for (int thread = 0; thread < n_threads; ++thread) {
        const auto [share_begin, share_end] = pool.share(n, thread);
        EXPECT_EQ(share_begin, n * thread / n_threads);
        EXPECT_EQ(share_end, n * (thread + 1) / n_threads);
        int64_t own_next = share_begin;
        std::map<int, int64_t> stolen_next;  // victim -> where the last step taken from its back began
        for (const auto& [begin, end] : taken[static_cast<size_t>(thread)]) {
          for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
          if (begin >= share_begin && end <= share_end) {
            EXPECT_EQ(begin, own_next) << "n=" << n << " thread " << thread;
            own_next = end;
            continue;
          }
          int victim = 0;
          while (pool.share(n, victim).second <= begin) ++victim;
          EXPECT_LE(end, pool.share(n, victim).second) << "a step spans two shares";
          const auto previous = stolen_next.find(victim);
          if (previous != stolen_next.end()) EXPECT_LE(end, previous->second) << "steps off a share's back go down";
          stolen_next[victim] = begin;
        }
        EXPECT_GT(own_next, share_begin) << "thread " << thread << " took nothing of its own share";
      }
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)], 1) << "n=" << n << " i=" << i;
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
