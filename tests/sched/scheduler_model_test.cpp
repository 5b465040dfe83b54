// The scheduler driven by a fake deterministic model through a real PagedKvCache: whatever the
// pool size, budget, prefix sharing, preemption or cancellation, every request must generate
// exactly the tokens of an uninterrupted run, and no block may leak.
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "fake_model.h"

namespace tachyon {
namespace {

using testing::FakeEngine;
using testing::fake_reference;

struct Workload {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<int32_t> max_new;
};

// Prompts that share a few system-prompt-like prefixes, so the prefix cache has work to do.
Workload make_workload(uint32_t seed, int n_requests, int32_t max_prompt, int32_t max_new) {
  std::mt19937 rng(seed);
  std::vector<std::vector<int32_t>> prefixes(3);
  for (auto& p : prefixes) {
    p.resize(std::uniform_int_distribution<size_t>(1, size_t(max_prompt) / 2)(rng));
    for (auto& t : p) t = int32_t(rng() % testing::kFakeVocab);
  }
  Workload w;
  for (int i = 0; i < n_requests; ++i) {
    std::vector<int32_t> prompt;
    if (rng() % 3 != 0) prompt = prefixes[rng() % prefixes.size()];
    const auto n_tail = std::uniform_int_distribution<int32_t>(1, max_prompt - int32_t(prompt.size()))(rng);
    for (int32_t j = 0; j < n_tail; ++j) prompt.push_back(int32_t(rng() % testing::kFakeVocab));
    w.prompts.push_back(std::move(prompt));
    w.max_new.push_back(std::uniform_int_distribution<int32_t>(1, max_new)(rng));
  }
  return w;
}

// Runs the whole workload (all requests queued up front) and returns the generated tokens.
std::map<RequestId, std::vector<int32_t>> run_workload(const Workload& w, int32_t n_blocks, int32_t block_size,
                                                       bool prefix_caching, int32_t max_batch_tokens,
                                                       size_t* n_preempted) {
  KvBlockManager blocks(n_blocks, block_size, prefix_caching);
  Scheduler scheduler(SchedulerConfig{max_batch_tokens, 8, 1000, 4096}, blocks);
  FakeEngine engine(scheduler, blocks);
  for (size_t i = 0; i < w.prompts.size(); ++i)
    EXPECT_TRUE(engine.add(RequestId(i), w.prompts[i], w.max_new[i]).ok());
  engine.run_to_end();
  const KvBlockStats st = blocks.stats();
  EXPECT_EQ(st.n_free + st.n_cached, st.n_blocks);
  if (n_preempted) *n_preempted = engine.n_preempted;
  return engine.generated;
}

TEST(SchedulerWithModel, PreemptedRunsMatchUninterruptedRuns) {
  const Workload w = make_workload(7, 24, 40, 24);
  for (bool prefix_caching : {false, true}) {
    SCOPED_TRACE(prefix_caching ? "prefix caching" : "no prefix caching");
    size_t roomy_preemptions = 0;
    size_t tight_preemptions = 0;
    const auto roomy = run_workload(w, 256, 4, prefix_caching, 64, &roomy_preemptions);
    const auto tight = run_workload(w, 20, 4, prefix_caching, 16, &tight_preemptions);
    EXPECT_EQ(roomy_preemptions, 0u);
    EXPECT_GT(tight_preemptions, 0u);
    for (size_t i = 0; i < w.prompts.size(); ++i) {
      const auto expected = fake_reference(w.prompts[i], w.max_new[i]);
      EXPECT_EQ(roomy.at(RequestId(i)), expected) << "request " << i;
      EXPECT_EQ(tight.at(RequestId(i)), expected) << "request " << i;
    }
  }
}

TEST(SchedulerWithModel, PrefixCacheHitsServeTheSameTokens) {
  KvBlockManager blocks(64, 4, true);
  Scheduler scheduler(SchedulerConfig{32, 4, 16, 4096}, blocks);
  FakeEngine engine(scheduler, blocks);
  const std::vector<int32_t> prompt = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7};
  ASSERT_TRUE(engine.add(1, prompt, 6).ok());
  engine.run_to_end();
  ASSERT_TRUE(engine.add(2, prompt, 6).ok());
  engine.step();
  EXPECT_EQ(scheduler.cached_tokens(2), 12);
  engine.run_to_end();
  EXPECT_EQ(engine.generated[1], fake_reference(prompt, 6));
  EXPECT_EQ(engine.generated[2], engine.generated[1]);
  EXPECT_EQ(blocks.stats().prefix_hits, 12u);
}

// Checks, after a step, what must hold whatever was planned.
void check_step_invariants(const SchedulerOutput& plan, const KvBlockManager& blocks, int32_t max_batch_tokens,
                           int32_t max_running) {
  int32_t n_tokens = 0;
  std::set<int32_t> seqs;
  for (const ScheduledChunk& chunk : plan.chunks) {
    ASSERT_FALSE(chunk.tokens.empty());
    n_tokens += int32_t(chunk.tokens.size());
    EXPECT_TRUE(seqs.insert(chunk.seq_id).second) << "sequence planned twice";
    EXPECT_LT(chunk.seq_id, max_running);
  }
  EXPECT_LE(n_tokens, max_batch_tokens);
  // Blocks referenced by live sequences are exactly the ones neither free nor cached.
  std::set<BlockId> referenced;
  for (int32_t seq = 0; seq < max_running; ++seq)
    for (BlockId b : blocks.block_table(seq)) referenced.insert(b);
  const KvBlockStats st = blocks.stats();
  EXPECT_EQ(int32_t(referenced.size()), st.n_blocks - st.n_free - st.n_cached);
}

TEST(SchedulerWithModel, RandomizedStressKeepsInvariants) {
  constexpr int32_t kMaxRunning = 6;
  constexpr int32_t kBudget = 24;
  std::mt19937 rng(2024);
  KvBlockManager blocks(40, 4, true);
  Scheduler scheduler(SchedulerConfig{kBudget, kMaxRunning, 12, 160}, blocks);
  FakeEngine engine(scheduler, blocks);
  const Workload w = make_workload(99, 300, 60, 40);
  std::map<RequestId, size_t> request_of;
  std::set<RequestId> cancelled;
  std::set<RequestId> refused;
  size_t next = 0;
  RequestId next_id = 1;
  for (int step = 0; step < 20000 && (next < w.prompts.size() || !scheduler.empty()); ++step) {
    // Bursty arrivals; the queue refuses some of them.
    for (int n = rng() % 20 == 0 ? int(1 + rng() % 6) : 0; n > 0 && next < w.prompts.size(); --n, ++next) {
      const RequestId id = next_id++;
      request_of[id] = next;
      if (!engine.add(id, w.prompts[next], w.max_new[next]).ok()) refused.insert(id);
    }
    // Cancel a random known request now and then (waiting, running or already done).
    if (rng() % 30 == 0 && next_id > 1) {
      const RequestId id = 1 + rng() % (next_id - 1);
      scheduler.finish(id);
      cancelled.insert(id);
    }
    const SchedulerOutput plan = engine.step();
    check_step_invariants(plan, blocks, kBudget, kMaxRunning);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_TRUE(scheduler.empty());
  EXPECT_EQ(scheduler.n_running(), 0u);
  EXPECT_EQ(scheduler.n_waiting(), 0u);
  const KvBlockStats st = blocks.stats();
  EXPECT_EQ(st.n_free + st.n_cached, st.n_blocks);
  EXPECT_GT(engine.n_preempted, 0u);
  EXPECT_GT(st.prefix_hits, 0u);
  EXPECT_FALSE(refused.empty());

  size_t n_checked = 0;
  for (const auto& [id, index] : request_of) {
    if (refused.contains(id)) continue;
    const auto expected = fake_reference(w.prompts[index], w.max_new[index]);
    const auto& got = engine.generated[id];
    if (cancelled.contains(id)) {
      // Cut short, but what it produced is still right.
      ASSERT_LE(got.size(), expected.size());
      EXPECT_TRUE(std::equal(got.begin(), got.end(), expected.begin())) << "request " << id;
    } else {
      EXPECT_EQ(got, expected) << "request " << id;
      ++n_checked;
    }
  }
  EXPECT_GT(n_checked, 100u) << refused.size() << " refused, " << cancelled.size() << " cancelled";
}

}  // namespace
}  // namespace tachyon
