#pragma once
// Iteration-level continuous batching. Each engine step is schedule() -> forward over the plan ->
// update() with the sampled tokens. A plan gives every running stream its decode token first,
// then fills the token budget with prefill chunks, so long prompts are split across steps and
// never stall running streams. KV blocks come from the KvBlockManager; when a running request
// cannot get one, the newest running request is preempted and later recomputed from its tokens.
// Not thread-safe: the engine thread owns it.
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kv/kv_block_manager.h"
#include "util/result.h"

namespace tachyon {

using RequestId = uint64_t;

struct SchedulerConfig {
  int32_t max_batch_tokens = 128;  // tokens per step, decode and prefill together
  int32_t max_running = 16;        // requests holding KV blocks; also the number of sequence ids
  int32_t max_waiting = 256;       // queued requests beyond which add() refuses
  int32_t max_model_len = 4096;    // prompt plus generated tokens of one request
};

// Tokens of one request to run in this step, at positions [start_pos, start_pos + tokens.size()).
struct ScheduledChunk {
  RequestId id = 0;
  int32_t seq_id = 0;  // the request's sequence id in the KV cache
  int32_t start_pos = 0;
  std::vector<int32_t> tokens;
  bool sample = false;  // the chunk reaches the end of the known tokens: sample the next one
  // Speculative decoding: the last n_draft tokens are a draft of what may follow the known
  // tokens (a decode chunk only). Each of the chunk's last 1 + n_draft rows is sampled in turn,
  // as long as every earlier one drew the draft's next token.
  int32_t n_draft = 0;
};

// Proposes a draft of at most `room` tokens to follow a running request's tokens (prompt and
// generated); empty for none.
using DraftSource = std::function<std::vector<int32_t>(RequestId id, std::span<const int32_t> tokens, int32_t room)>;

// One step's plan. preempted: requests that lost their KV blocks in this step (they wait again).
struct SchedulerOutput {
  std::vector<ScheduledChunk> chunks;
  std::vector<RequestId> preempted;
};

class Scheduler {
 public:
  // The block manager must outlive the scheduler and be used by nothing else.
  Scheduler(SchedulerConfig config, KvBlockManager& blocks);

  // Queues a request. Error when the waiting queue is full, the id is in use, or the request can
  // never fit (empty prompt, max_new_tokens < 1, prompt + max_new_tokens beyond max_model_len or
  // beyond the whole block pool).
  Status add(RequestId id, std::vector<int32_t> prompt, int32_t max_new_tokens);
  // Plans one step: decode tokens of running requests (oldest first), then prefill chunks of
  // running requests, then admission of waiting requests in arrival order while blocks, budget
  // and max_running allow. A request that has generated max_new_tokens is no longer planned.
  // With drafts, the budget left after that extends decode chunks by the drafts it proposes,
  // as far as free blocks allow without preempting or evicting anything (never past
  // max_new_tokens: a step adds at most 1 + n_draft tokens).
  SchedulerOutput schedule(const DraftSource& drafts = nullptr);
  // Records that the step of `out` ran: its chunks' rows are written, and `sampled` holds the
  // tokens sampled for each chunk with sample = true, in order: one, or for a chunk with a draft
  // the accepted draft tokens and then the one drawn after them (a draft token's row is kept
  // only if it was accepted). Requests finished since schedule() are skipped. A request that
  // reaches max_new_tokens releases its blocks here and stays known until finish().
  void update(const SchedulerOutput& out, const std::vector<std::pair<RequestId, int32_t>>& sampled);
  // Ends a request (finished, cancelled, client gone) and frees its blocks now. Unknown ids are ignored.
  void finish(RequestId id);

  // Requests holding KV blocks, and requests queued for them (preempted ones included).
  size_t n_running() const { return running_.size(); }
  size_t n_waiting() const { return waiting_.size(); }
  // Nothing left to plan (requests done but not yet finished do not count).
  bool empty() const { return running_.empty() && waiting_.empty(); }
  // Prompt tokens served from the prefix cache when the request was first admitted (0 before).
  int32_t cached_tokens(RequestId id) const;

 private:
  struct Request {
    std::vector<int32_t> tokens;  // prompt, then generated tokens
    int32_t n_prompt = 0;
    int32_t max_new_tokens = 0;
    int32_t n_computed = 0;       // leading tokens whose K/V rows are in the cache
    int32_t seq_id = -1;          // -1 unless running
    int32_t cached_tokens = 0;
    bool admitted_once = false;

    int32_t n_generated() const { return int32_t(tokens.size()) - n_prompt; }
    int32_t n_pending() const { return int32_t(tokens.size()) - n_computed; }
  };

  // Plans up to n_tokens of running_[index], preempting the newest requests for blocks if needed
  // (the request itself when it is the newest).
  void plan_running(size_t index, int32_t n_tokens, SchedulerOutput& out, int32_t& budget);
  // Admits the head of the waiting queue with its first chunk; false when its blocks do not fit.
  bool admit(RequestId id, SchedulerOutput& out, int32_t& budget);
  void preempt_newest(SchedulerOutput& out, int32_t& budget);
  // Extends decode chunks by drafts while budget and free blocks last.
  void add_drafts(const DraftSource& drafts, SchedulerOutput& out, int32_t& budget);
  ScheduledChunk make_chunk(RequestId id, const Request& r, int32_t n_tokens) const;
  int32_t take_seq_id();
  void release(Request& r);

  SchedulerConfig config_;
  KvBlockManager& blocks_;
  std::unordered_map<RequestId, Request> requests_;
  std::vector<RequestId> running_;   // admission order, oldest first
  std::deque<RequestId> waiting_;    // arrival order; preempted requests go back to the head
  std::vector<bool> seq_in_use_;     // (max_running)
};

}  // namespace tachyon
