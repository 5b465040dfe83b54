#include "platform/usage_recorder.h"

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "platform/sqlite_store.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::TempDir;

UsageRecord row(int i) {
  UsageRecord r{.request_id = fmt::format("req-{}", i),
                .key_id = fmt::format("key_{}", i % 3),
                .model = std::string("m"),
                .endpoint = std::string("/v1/chat/completions")};
  r.created_ms = 1000 + i;
  r.prompt_tokens = i;
  r.completion_tokens = 2 * i;
  r.cost = compute_cost({1, 1, 0.001}, r.prompt_tokens, r.completion_tokens);
  return r;
}

TEST(UsageRecorder, TheRowIsReadableWhenTheCommitCallbackRuns) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  // A second connection, as another process would read the file.
  auto reader = open_sqlite_store(tmp.path());
  ASSERT_TRUE(reader.ok());
  UsageRecorder recorder(**store);
  std::atomic<int> visible{-1};
  std::atomic<bool> done{false};
  recorder.record(row(7), [&](Status s) {
    ASSERT_TRUE(s.ok());
    auto rows = (*reader)->usage_of_request("req-7");
    visible = rows.ok() ? int(rows->size()) : -2;
    done = true;
  });
  recorder.flush();
  EXPECT_TRUE(done);
  EXPECT_EQ(visible, 1);
}

TEST(UsageRecorder, RateLimitedRefusalsPastTheMinutesFirstFewAreCountedNotRowed) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  int called_back = 0;
  auto refuse = [&](UsageRecorder& recorder, const std::string& key, int64_t at_ms, int i) {
    UsageRecord r{.request_id = fmt::format("{}-{}-{}", key, at_ms, i), .key_id = key, .model = "m",
                  .endpoint = "/v1/chat/completions"};
    r.created_ms = at_ms;
    r.status = 429;
    recorder.record_rate_limited(std::move(r), [&](Status s) {
      EXPECT_TRUE(s.ok());
      ++called_back;
    });
  };
  {
    UsageRecorder recorder(**store);
    for (int i = 0; i < 25; ++i) refuse(recorder, "key_a", 60'000 + i, i);  // one minute
    for (int i = 0; i < 3; ++i) refuse(recorder, "key_b", 60'500 + i, i);
    for (int i = 0; i < 4; ++i) refuse(recorder, "key_a", 120'000 + i, i);  // the next
    recorder.flush();
    EXPECT_EQ(recorder.stats().refusals_counted, 15);
    EXPECT_EQ(recorder.stats().rows_committed, 17);
  }
  EXPECT_EQ(called_back, 32);
  EXPECT_EQ((*store)->usage_of_request("key_a-60009-9")->size(), 1u);  // the tenth has its row
  EXPECT_TRUE((*store)->usage_of_request("key_a-60010-10")->empty());   // the eleventh is counted
  EXPECT_EQ((*store)->usage_of_request("key_a-120003-3")->size(), 1u);
  EXPECT_EQ((*store)->query_usage({.key_id = "key_a"})->rate_limited_without_rows, 15);
  EXPECT_EQ((*store)->query_usage({.key_id = "key_b"})->rate_limited_without_rows, 0);
}

TEST(UsageRecorder, ARateLimitedRowIsCompletedOnlyWhenItIsKept) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  int filled = 0;
  UsageRecorder recorder(**store);
  for (int i = 0; i < 12; ++i) {
    UsageRecord r{.request_id = fmt::format("r{}", i), .key_id = "key_a", .endpoint = "/v1/chat/completions"};
    r.created_ms = 60'000 + i;
    r.status = 429;
    recorder.record_rate_limited(std::move(r), {}, [&](UsageRecord& row) {
      row.model = "named";
      ++filled;
    });
  }
  recorder.flush();
  EXPECT_EQ(filled, int(kItemizedRefusalsPerMinute));
  EXPECT_EQ((*store)->usage_of_request("r0")->front().model, "named");
}

TEST(UsageRecorder, ManyThreadsGroupCommitAndNothingIsLost) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  constexpr int kThreads = 8, kPerThread = 250;
  std::atomic<int> committed{0};
  int64_t expected_prompt = 0;
  {
    UsageRecorder recorder(**store, 64);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i)
          recorder.record(row(t * kPerThread + i), [&](Status s) {
            if (s.ok()) committed++;
          });
      });
    }
    for (auto& th : threads) th.join();
    recorder.flush();
    const UsageRecorderStats stats = recorder.stats();
    EXPECT_EQ(stats.rows_committed, kThreads * kPerThread);
    EXPECT_EQ(stats.failures, 0);
    EXPECT_LE(stats.transactions, stats.rows_committed);
  }
  for (int i = 0; i < kThreads * kPerThread; ++i) expected_prompt += i;
  EXPECT_EQ(committed, kThreads * kPerThread);
  auto report = (*store)->query_usage({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->totals.requests, kThreads * kPerThread);
  EXPECT_EQ(report->totals.prompt_tokens, expected_prompt);
  EXPECT_EQ(report->totals.completion_tokens, 2 * expected_prompt);
}

TEST(UsageRecorder, DestructionCommitsWhatIsQueued) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  {
    UsageRecorder recorder(**store);
    for (int i = 0; i < 100; ++i) recorder.record(row(i));
  }
  EXPECT_EQ((*store)->query_usage({})->totals.requests, 100);
}

}  // namespace
}  // namespace tachyon::platform
