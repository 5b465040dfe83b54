#pragma once
// Prompt-lookup drafting for speculative decoding: the tokens that followed the latest earlier
// occurrence of the sequence's last few tokens are proposed as its next ones. No draft model is
// needed, and it pays where an answer quotes its context (retrieved sources, code being edited,
// a document being summarised) or repeats itself. The engine verifies a draft in the request's
// next forward step, so a draft only ever changes speed, never the output.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/drafter.h"

namespace tachyon {

struct PromptLookupConfig {
  // Tokens proposed per step at most. On a CPU a step of 2 or 3 tokens costs about what one
  // costs while the weights stream from memory, and more than that costs compute
  // (docs/PERFORMANCE.md); larger, more memory-bound models can afford longer drafts.
  int32_t max_draft = 2;
  int32_t max_ngram = 4;  // longest suffix looked up; shorter ones are tried next
  int32_t min_ngram = 2;  // shortest suffix that may propose a draft
};

// Up to max_draft tokens: what followed the latest earlier occurrence of the longest suffix of
// tokens (max_ngram down to min_ngram tokens long) that recurs, or the latest one followed by
// max_draft tokens when the latest is followed by fewer. Empty when no suffix recurs.
std::vector<int32_t> prompt_lookup(std::span<const int32_t> tokens, int32_t max_draft, int32_t max_ngram,
                                   int32_t min_ngram);

// Drafts by prompt lookup, with the adaptive length of Drafter.
class PromptLookupDrafter final : public Drafter {
 public:
  explicit PromptLookupDrafter(PromptLookupConfig config) : Drafter(config.max_draft), config_(config) {}

 protected:
  std::vector<int32_t> draft(std::span<const int32_t> tokens, int32_t n) override {
    return prompt_lookup(tokens, n, config_.max_ngram, config_.min_ngram);
  }

 private:
  PromptLookupConfig config_;
};

}  // namespace tachyon
