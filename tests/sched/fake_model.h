#pragma once
// A deterministic stand-in for the model that goes through a real PagedKvCache: the "K row" of a
// (layer, position) is a hash of its token, the previous position's row in that layer and the row
// of the layer below (both read back from the cache), and the next token is a hash of every row of
// the last layer. So a token comes out right only if every
// earlier row was written to, and read from, the right block, whether shared, recomputed or new.
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kv/paged_kv_cache.h"
#include "sched/scheduler.h"

namespace tachyon::testing {

inline uint64_t fake_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

inline uint64_t fake_row(uint64_t previous, uint64_t below, int32_t token, int32_t pos, int64_t layer) {
  return fake_mix(previous ^ fake_mix(below + uint64_t(uint32_t(token)) * 31 + uint64_t(pos) * 7 + uint64_t(layer)));
}

constexpr uint64_t kFakeSeed = 12345;
constexpr int32_t kFakeVocab = 1000;
// One row = one uint64: (n_kv_heads 1, head_dim 2) in F32.
constexpr KvShape kFakeShape{.n_layer = 2, .n_kv_heads = 1, .head_dim = 2, .dtype = KvDType::F32};

inline int32_t fake_next_token(const std::vector<uint64_t>& last_layer_rows) {
  uint64_t h = kFakeSeed;
  for (uint64_t row : last_layer_rows) h = fake_mix(h ^ row);
  return int32_t(h % kFakeVocab);
}

// The tokens an uninterrupted run of the fake model generates for a prompt.
inline std::vector<int32_t> fake_reference(std::vector<int32_t> tokens, int32_t n_new) {
  const size_t n_prompt = tokens.size();
  while (tokens.size() < n_prompt + size_t(n_new)) {
    std::vector<uint64_t> below(tokens.size(), 0);
    std::vector<uint64_t> rows(tokens.size());
    for (int64_t l = 0; l < kFakeShape.n_layer; ++l) {
      for (size_t p = 0; p < tokens.size(); ++p)
        rows[p] = fake_row(p == 0 ? kFakeSeed : rows[p - 1], below[p], tokens[p], int32_t(p), l);
      below = rows;
    }
    tokens.push_back(fake_next_token(rows));
  }
  return {tokens.begin() + ptrdiff_t(n_prompt), tokens.end()};
}

class FakeModel {
 public:
  explicit FakeModel(KvBlockManager& blocks) : kv_(kFakeShape, blocks) {}

  // Runs one step's plan; returns the sampled token of each chunk with sample = true.
  std::vector<std::pair<RequestId, int32_t>> run(const SchedulerOutput& plan) {
    std::vector<std::pair<RequestId, int32_t>> sampled;
    for (const ScheduledChunk& chunk : plan.chunks) {
      const int32_t end = chunk.start_pos + int32_t(chunk.tokens.size());
      EXPECT_TRUE(kv_.reserve(chunk.seq_id, end).ok());
      for (int64_t l = 0; l < kFakeShape.n_layer; ++l)
        for (size_t i = 0; i < chunk.tokens.size(); ++i) {
          const int32_t pos = chunk.start_pos + int32_t(i);
          const uint64_t prev = pos == 0 ? kFakeSeed : load(l, chunk.seq_id, pos - 1);
          const uint64_t below = l == 0 ? 0 : load(l - 1, chunk.seq_id, pos);
          const uint64_t row = fake_row(prev, below, chunk.tokens[i], pos, l);
          std::memcpy(kv_.k_row(l, chunk.seq_id, pos), &row, sizeof row);
        }
      if (!chunk.sample) continue;
      std::vector<uint64_t> rows;
      for (int32_t p = 0; p < end; ++p) rows.push_back(load(kFakeShape.n_layer - 1, chunk.seq_id, p));
      sampled.emplace_back(chunk.id, fake_next_token(rows));
    }
    return sampled;
  }

 private:
  uint64_t load(int64_t layer, int32_t seq_id, int32_t pos) {
    uint64_t row;
    std::memcpy(&row, kv_.k_row(layer, seq_id, pos), sizeof row);
    return row;
  }

  PagedKvCache kv_;
};

// The engine loop around a Scheduler and a FakeModel: finishes a request once it has generated
// its max_new_tokens, and keeps every generated token.
class FakeEngine {
 public:
  FakeEngine(Scheduler& scheduler, KvBlockManager& blocks) : scheduler_(scheduler), model_(blocks) {}

  Status add(RequestId id, std::vector<int32_t> prompt, int32_t max_new_tokens) {
    Status s = scheduler_.add(id, std::move(prompt), max_new_tokens);
    if (s) max_new_[id] = max_new_tokens;
    return s;
  }

  SchedulerOutput step() {
    SchedulerOutput plan = scheduler_.schedule();
    n_preempted += plan.preempted.size();
    const auto sampled = model_.run(plan);
    scheduler_.update(plan, sampled);
    for (const auto& [id, token] : sampled) {
      generated[id].push_back(token);
      if (int32_t(generated[id].size()) >= max_new_[id]) scheduler_.finish(id);
    }
    return plan;
  }

  // Steps until the scheduler is empty; fails the test if that takes more than max_steps.
  void run_to_end(int max_steps = 100000) {
    for (int i = 0; i < max_steps && !scheduler_.empty(); ++i) step();
    EXPECT_TRUE(scheduler_.empty());
  }

  std::map<RequestId, std::vector<int32_t>> generated;
  size_t n_preempted = 0;

 private:
  Scheduler& scheduler_;
  FakeModel model_;
  std::map<RequestId, int32_t> max_new_;
};

}  // namespace tachyon::testing
