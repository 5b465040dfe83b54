#pragma once
// Speculative drafts from a draft model: a smaller model with the target's vocabulary proposes
// the next few tokens greedily, one forward step of its own per token, and the target verifies
// them all in one step (engine.h). The draft model keeps its own paged KV cache, one sequence
// per drafting request: each proposal first feeds it what the request gained since the last one
// (the accepted draft tokens and the token drawn after them) and overwrites the rows of rejected
// ones, so a draft costs its new tokens only. The drafts only ever change speed: what the target
// draws is what plain decoding draws.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/drafter.h"
#include "engine/model_bundle.h"
#include "kv/kv_block_manager.h"
#include "util/thread_pool.h"

namespace tachyon {

class DraftModel {
 public:
  // Errors: the draft is not a text-generation model, or its vocabulary differs from the
  // target's (same ids must mean the same tokens), or its KV does not fit `kv_memory_mib`.
  // Sequences are drafted up to min(n_ctx, the draft's training context) tokens. The KV pool
  // holds up to `max_sequences` full sequences within kv_memory_mib (at least one); when it is
  // full a request simply gets no draft. Forward steps run on `pool`, which must outlive this.
  static Result<std::unique_ptr<DraftModel>> create(std::shared_ptr<const ModelBundle> draft, const Tokenizer& target,
                                                    int32_t n_ctx, int32_t max_sequences, int64_t kv_memory_mib,
                                                    ThreadPool& pool);
  DraftModel(const DraftModel&) = delete;
  DraftModel& operator=(const DraftModel&) = delete;

  const ModelBundle& bundle() const { return *draft_; }

  // One request's drafter, drafting at most max_draft tokens per step. It takes a sequence of
  // the draft KV at its first proposal and gives it back when destroyed. Proposals and the
  // destruction of a drafter that has proposed run on one thread (the engine's); this object
  // must outlive its drafters.
  std::unique_ptr<Drafter> drafter(int32_t max_draft);

 private:
  class SequenceDrafter;

  DraftModel(std::shared_ptr<const ModelBundle> draft, int32_t n_ctx, int32_t n_blocks, int32_t block_size,
             ThreadPool& pool);
  // Up to n greedy tokens of the draft model after tokens, on sequence seq_id whose KV holds
  // `cached` (updated to what it holds afterwards).
  std::vector<int32_t> draft(int32_t seq_id, std::vector<int32_t>& cached, std::span<const int32_t> tokens, int32_t n);
  int32_t take_sequence();
  void release_sequence(int32_t seq_id);

  std::shared_ptr<const ModelBundle> draft_;
  int32_t n_ctx_;
  KvBlockManager blocks_;
  std::unique_ptr<KvCache> kv_;
  ThreadPool& pool_;
  std::vector<int32_t> free_sequences_;
  int32_t n_sequences_ = 0;
  std::vector<float> logits_;
};

// True when both tokenizers give every id the same token text (what a draft model needs).
bool same_vocabulary(const Tokenizer& a, const Tokenizer& b);

}  // namespace tachyon
