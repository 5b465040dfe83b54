#pragma once
// Prompt-lookup drafting for speculative decoding: the tokens that followed the latest earlier
// occurrence of the sequence's last few tokens are proposed as its next ones. No draft model is
// needed, and it pays where an answer quotes its context (retrieved sources, code being edited,
// a document being summarised) or repeats itself. The engine verifies a draft in the request's
// next forward step, so a draft only ever changes speed, never the output.
#include <cstdint>
#include <span>
#include <vector>

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

// One request's drafter: prompt lookup with a draft length that follows how well recent drafts
// fared, so a request whose drafts keep failing stops paying for them. Verifying k draft tokens
// costs more than one decode token once k passes the few tokens a weight pass serves almost for
// free; the length doubles after a draft accepted whole, shrinks to what was accepted plus one
// after a partial acceptance, and after a draft rejected outright drafting pauses for a number
// of steps that doubles with each consecutive rejection (up to 64).
class PromptLookupDrafter {
 public:
  explicit PromptLookupDrafter(PromptLookupConfig config);

  // The draft for the step after tokens (prompt + generated so far), at most `room` tokens.
  std::vector<int32_t> propose(std::span<const int32_t> tokens, int32_t room);
  // What became of the last proposal: `accepted` of its `proposed` tokens matched.
  void record(int32_t proposed, int32_t accepted);

  int64_t n_proposed() const { return n_proposed_; }
  int64_t n_accepted() const { return n_accepted_; }

 private:
  PromptLookupConfig config_;
  int32_t length_;          // current draft length limit
  int32_t pause_ = 0;       // steps left without drafting
  int32_t rejections_ = 0;  // consecutive drafts rejected outright
  int64_t n_proposed_ = 0;
  int64_t n_accepted_ = 0;
};

}  // namespace tachyon
