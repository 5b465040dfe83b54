#include "sched/scheduler.h"

#include "../kv/kv_test_util.h"

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

SchedulerConfig config(int32_t max_batch_tokens, int32_t max_running = 16, int32_t max_waiting = 256) {
  return SchedulerConfig{max_batch_tokens, max_running, max_waiting, 4096};
}

// Runs a plan with a dummy model that samples token 1 for every chunk that asks for one.
void run_step(Scheduler& s, const SchedulerOutput& out) {
  std::vector<std::pair<RequestId, int32_t>> sampled;
  for (const auto& chunk : out.chunks)
    if (chunk.sample) sampled.emplace_back(chunk.id, 1);
  s.update(out, sampled);
}

TEST(Scheduler, RefusesWhenTheWaitingQueueIsFull) {
  KvBlockManager blocks(64, 4, true);
  Scheduler s(config(64, 16, 2), blocks);
  ASSERT_TRUE(s.add(1, {1, 2}, 4).ok());
  ASSERT_TRUE(s.add(2, {1, 2}, 4).ok());
  const Status full = s.add(3, {1, 2}, 4);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::ResourceExhausted);
  EXPECT_EQ(s.n_waiting(), 2u);
  // Admission makes room again.
  run_step(s, s.schedule());
  EXPECT_EQ(s.n_waiting(), 0u);
  EXPECT_TRUE(s.add(3, {1, 2}, 4).ok());
}

TEST(Scheduler, RefusesRequestsThatCanNeverFit) {
  KvBlockManager blocks(4, 4, true);  // 16 positions
  Scheduler s(SchedulerConfig{64, 4, 8, 20}, blocks);
  EXPECT_EQ(s.add(1, {}, 4).error().kind, ErrorKind::InvalidArgument);
  EXPECT_FALSE(s.add(1, {1}, 0).ok());
  EXPECT_FALSE(s.add(1, iota_tokens(18, 0), 3).ok());  // beyond max_model_len
  EXPECT_FALSE(s.add(1, iota_tokens(15, 0), 3).ok());  // 17 positions: beyond the pool
  EXPECT_TRUE(s.add(1, iota_tokens(15, 0), 2).ok());   // 16 positions: the last token needs none
  EXPECT_FALSE(s.add(1, {1}, 1).ok());                 // id in use
  EXPECT_EQ(s.n_waiting(), 1u);
}

TEST(Scheduler, DecodesFirstThenPrefillsWithinTheBudget) {
  KvBlockManager blocks(64, 4, true);
  Scheduler s(config(8), blocks);
  ASSERT_TRUE(s.add(1, {5, 6, 7}, 10).ok());
  SchedulerOutput out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].tokens.size(), 3u);
  EXPECT_TRUE(out.chunks[0].sample);
  run_step(s, out);

  // A 20-token prompt arrives: request 1 keeps decoding while it is prefilled 7 tokens a step.
  ASSERT_TRUE(s.add(2, iota_tokens(20, 100), 10).ok());
  const std::vector<std::pair<int32_t, int32_t>> prefill = {{0, 7}, {7, 7}, {14, 6}};
  for (size_t step = 0; step < prefill.size(); ++step) {
    out = s.schedule();
    ASSERT_EQ(out.chunks.size(), 2u);
    EXPECT_EQ(out.chunks[0].id, 1u);
    EXPECT_EQ(out.chunks[0].tokens.size(), 1u);
    EXPECT_EQ(out.chunks[0].start_pos, 3 + int32_t(step));
    EXPECT_TRUE(out.chunks[0].sample);
    EXPECT_EQ(out.chunks[1].id, 2u);
    EXPECT_EQ(out.chunks[1].start_pos, prefill[step].first);
    EXPECT_EQ(int32_t(out.chunks[1].tokens.size()), prefill[step].second);
    EXPECT_EQ(out.chunks[1].tokens[0], 100 + prefill[step].first);
    EXPECT_EQ(out.chunks[1].sample, step + 1 == prefill.size());
    run_step(s, out);
  }
  // Both decode now.
  out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[1].start_pos, 20);
  EXPECT_EQ(out.chunks[1].tokens.size(), 1u);
  s.finish(1);
  s.finish(2);
  EXPECT_TRUE(s.empty());
  expect_no_leak(blocks);
}

TEST(Scheduler, ChunksAPromptLongerThanTheBudget) {
  KvBlockManager blocks(64, 4, false);
  Scheduler s(config(10), blocks);
  ASSERT_TRUE(s.add(7, iota_tokens(25, 0), 2).ok());
  const std::vector<int32_t> sizes = {10, 10, 5};
  int32_t pos = 0;
  for (int32_t size : sizes) {
    const SchedulerOutput out = s.schedule();
    ASSERT_EQ(out.chunks.size(), 1u);
    EXPECT_EQ(out.chunks[0].start_pos, pos);
    EXPECT_EQ(int32_t(out.chunks[0].tokens.size()), size);
    EXPECT_EQ(out.chunks[0].sample, pos + size == 25);
    EXPECT_EQ(blocks.block_table(out.chunks[0].seq_id).size(), size_t((pos + size + 3) / 4));
    pos += size;
    run_step(s, out);
  }
  const SchedulerOutput out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].start_pos, 25);
  run_step(s, out);
  // max_new_tokens reached: the blocks are back even before finish().
  EXPECT_EQ(s.n_running(), 0u);
  expect_no_leak(blocks);
  s.finish(7);
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, SharesPrefixBlocksAndReportsCachedTokens) {
  KvBlockManager blocks(32, 4, true);
  Scheduler s(config(64), blocks);
  std::vector<int32_t> prompt_a = iota_tokens(14, 10);  // 3 full blocks + 2
  std::vector<int32_t> prompt_b(prompt_a.begin(), prompt_a.begin() + 12);
  prompt_b.insert(prompt_b.end(), {900, 901, 902});
  ASSERT_TRUE(s.add(1, prompt_a, 8).ok());
  SchedulerOutput out = s.schedule();
  run_step(s, out);
  const int32_t seq_a = out.chunks[0].seq_id;
  EXPECT_EQ(s.cached_tokens(1), 0);

  ASSERT_TRUE(s.add(2, prompt_b, 8).ok());
  out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 2u);
  const ScheduledChunk& b = out.chunks[1];
  EXPECT_EQ(b.id, 2u);
  EXPECT_EQ(b.start_pos, 12);
  EXPECT_EQ(b.tokens, (std::vector<int32_t>{900, 901, 902}));
  EXPECT_EQ(s.cached_tokens(2), 12);
  const auto& ta = blocks.block_table(seq_a);
  const auto& tb = blocks.block_table(b.seq_id);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(ta[i], tb[i]);
  EXPECT_NE(ta[3], tb[3]);
  run_step(s, out);

  s.finish(2);
  s.finish(1);
  EXPECT_TRUE(s.empty());
  expect_no_leak(blocks);
  EXPECT_GT(blocks.stats().n_cached, 0);
}

TEST(Scheduler, PreemptsTheNewestRequestWhenBlocksRunOut) {
  KvBlockManager blocks(6, 4, true);
  Scheduler s(config(64), blocks);
  for (RequestId id = 1; id <= 3; ++id) ASSERT_TRUE(s.add(id, iota_tokens(8, int32_t(id) * 100), 8).ok());
  SchedulerOutput out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 3u);
  run_step(s, out);
  EXPECT_EQ(blocks.stats().n_free + blocks.stats().n_cached, 0);

  // Each decode needs a ninth position, i.e. a new block: request 3 gives its two up.
  out = s.schedule();
  EXPECT_EQ(out.preempted, (std::vector<RequestId>{3}));
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[0].id, 1u);
  EXPECT_EQ(out.chunks[1].id, 2u);
  EXPECT_EQ(s.n_running(), 2u);
  EXPECT_EQ(s.n_waiting(), 1u);
  run_step(s, out);

  // Request 1 ends; request 3 comes back and recomputes prompt + its generated token.
  s.finish(1);
  out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[1].id, 3u);
  EXPECT_EQ(out.chunks[1].start_pos + int32_t(out.chunks[1].tokens.size()), 9);
  EXPECT_TRUE(out.chunks[1].sample);
  run_step(s, out);
  s.finish(2);
  s.finish(3);
  expect_no_leak(blocks);
}

TEST(Scheduler, PreemptsItselfWhenItIsTheNewest) {
  KvBlockManager blocks(5, 4, false);
  Scheduler s(config(64), blocks);
  ASSERT_TRUE(s.add(1, iota_tokens(8, 0), 8).ok());
  ASSERT_TRUE(s.add(2, iota_tokens(8, 50), 8).ok());
  run_step(s, s.schedule());
  // Request 1 takes the last free block; request 2, the newest, finds none and steps back itself.
  const SchedulerOutput out = s.schedule();
  EXPECT_EQ(out.preempted, (std::vector<RequestId>{2}));
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].id, 1u);
  EXPECT_EQ(s.n_waiting(), 1u);
  s.finish(1);
  s.finish(2);
  expect_no_leak(blocks);
}

TEST(Scheduler, FinishFreesBlocksAndIgnoresUnknownIds) {
  KvBlockManager blocks(16, 4, true);
  Scheduler s(config(8, 1), blocks);
  ASSERT_TRUE(s.add(1, iota_tokens(20, 0), 4).ok());
  ASSERT_TRUE(s.add(2, iota_tokens(5, 0), 4).ok());
  run_step(s, s.schedule());  // request 1 half prefilled, request 2 waits (max_running 1)
  EXPECT_EQ(s.n_running(), 1u);
  EXPECT_EQ(s.n_waiting(), 1u);
  EXPECT_GT(blocks.usage(), 0.0);
  s.finish(2);  // cancelled while waiting
  s.finish(1);  // cancelled mid-prefill
  s.finish(99);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.schedule().chunks.size(), 0u);
  expect_no_leak(blocks);
}

TEST(Scheduler, UpdateSkipsRequestsFinishedDuringTheStep) {
  KvBlockManager blocks(16, 4, true);
  Scheduler s(config(64), blocks);
  ASSERT_TRUE(s.add(1, {1, 2, 3}, 4).ok());
  ASSERT_TRUE(s.add(2, {4, 5, 6}, 4).ok());
  const SchedulerOutput out = s.schedule();
  s.finish(1);
  s.update(out, {{1, 9}, {2, 9}});
  const SchedulerOutput next = s.schedule();
  ASSERT_EQ(next.chunks.size(), 1u);
  EXPECT_EQ(next.chunks[0].id, 2u);
  EXPECT_EQ(next.chunks[0].start_pos, 3);
  EXPECT_EQ(next.chunks[0].tokens, (std::vector<int32_t>{9}));
  s.finish(2);
  expect_no_leak(blocks);
}


// A draft extends a decode chunk; the accepted draft tokens and the token drawn after them join
// the request, and only the accepted rows count as computed.
TEST(Scheduler, DraftsExtendDecodeChunksAndKeepOnlyAcceptedRows) {
  KvBlockManager blocks(64, 4, true);
  Scheduler s(config(64), blocks);
  ASSERT_TRUE(s.add(1, {10, 11, 12}, 8).ok());
  run_step(s, s.schedule());  // prefill; samples 1
  std::vector<int32_t> seen;
  const DraftSource drafts = [&](RequestId id, std::span<const int32_t> tokens, int32_t room) {
    EXPECT_EQ(id, 1u);
    seen.assign(tokens.begin(), tokens.end());
    EXPECT_EQ(room, 6);  // 8 new tokens at most, 1 generated, 1 drawn after the draft
    return std::vector<int32_t>{20, 21, 22};
  };
  SchedulerOutput out = s.schedule(drafts);
  EXPECT_EQ(seen, (std::vector<int32_t>{10, 11, 12, 1}));
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].start_pos, 3);
  EXPECT_EQ(out.chunks[0].tokens, (std::vector<int32_t>{1, 20, 21, 22}));
  EXPECT_EQ(out.chunks[0].n_draft, 3);
  EXPECT_TRUE(out.chunks[0].sample);
  // Two draft tokens accepted, then 30 drawn instead of 22.
  s.update(out, {{1, 20}, {1, 21}, {1, 30}});
  out = s.schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].start_pos, 6);  // 10 11 12 1 20 21 computed; 30 next
  EXPECT_EQ(out.chunks[0].tokens, (std::vector<int32_t>{30}));
  EXPECT_EQ(out.chunks[0].n_draft, 0);
  // A draft rejected outright: only the decode token's row is kept.
  s.update(out, {{1, 40}});
  out = s.schedule([](RequestId, std::span<const int32_t>, int32_t room) { return std::vector<int32_t>(size_t(room), 50); });
  ASSERT_EQ(out.chunks[0].n_draft, 2);  // 5 generated: room for 2 drafts and the token after them
  s.update(out, {{1, 41}});
  out = s.schedule();
  EXPECT_EQ(out.chunks[0].start_pos, 8);
  EXPECT_EQ(out.chunks[0].tokens, (std::vector<int32_t>{41}));
  s.update(out, {{1, 42}});
  // 7 generated: a draft could only end past max_new_tokens.
  bool asked = false;
  out = s.schedule([&](RequestId, std::span<const int32_t>, int32_t) {
    asked = true;
    return std::vector<int32_t>{1};
  });
  EXPECT_FALSE(asked);
  EXPECT_EQ(out.chunks[0].n_draft, 0);
}

// Drafts come last: after prefill chunks, within the budget left, and cut to the blocks the
// request holds or can take free, never at the cost of a block someone else could use.
TEST(Scheduler, DraftsUseOnlyTheBudgetAndBlocksLeftOver) {
  KvBlockManager blocks(4, 4, false);  // 16 positions
  Scheduler s(config(6), blocks);
  ASSERT_TRUE(s.add(1, {1, 2, 3}, 8).ok());
  run_step(s, s.schedule());
  ASSERT_TRUE(s.add(2, {4, 5, 6, 7, 8}, 3).ok());
  const DraftSource many = [](RequestId, std::span<const int32_t>, int32_t room) {
    return std::vector<int32_t>(size_t(room), 9);
  };
  SchedulerOutput out = s.schedule(many);
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[1].id, 2u);
  EXPECT_EQ(out.chunks[1].tokens.size(), 5u);
  EXPECT_EQ(out.chunks[0].n_draft, 0);  // 1 decode + 5 prefill tokens spent the budget of 6
  run_step(s, out);
  // Request 1 now takes the last free block for position 4; its draft fits in that block
  // (positions 5-7) and no further, though budget and max_new_tokens allow 4.
  out = s.schedule(many);
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[0].n_draft, 3);
  EXPECT_EQ(out.chunks[1].n_draft, 1);  // the budget's last token (6 - 2 decode - 3 drafted)
  EXPECT_EQ(blocks.stats().n_free, 0);
}

}  // namespace
}  // namespace tachyon
