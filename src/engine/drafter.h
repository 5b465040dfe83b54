#pragma once
// One request's source of speculative drafts, with a draft length that follows how well recent
// drafts fared, so a request whose drafts keep failing stops paying for them. Verifying k draft
// tokens costs more than one decode token once k passes the few tokens a weight pass serves
// almost for free (and a draft model spends a forward step of its own per drafted token): the
// length doubles after a draft accepted whole, shrinks to what was accepted plus one after a
// partial acceptance, and after a draft rejected outright drafting pauses for a number of steps
// that doubles with each consecutive rejection (up to 64). Subclasses say where drafts come from
// (prompt_lookup.h, draft_model.h).
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon {

class Drafter {
 public:
  explicit Drafter(int32_t max_draft);
  virtual ~Drafter() = default;
  Drafter(const Drafter&) = delete;
  Drafter& operator=(const Drafter&) = delete;

  // The draft for the step after tokens (prompt + generated so far), at most `room` tokens.
  std::vector<int32_t> propose(std::span<const int32_t> tokens, int32_t room);
  // What became of the last proposal: `accepted` of its `proposed` tokens matched.
  void record(int32_t proposed, int32_t accepted);

  int64_t n_proposed() const { return n_proposed_; }
  int64_t n_accepted() const { return n_accepted_; }

 protected:
  // Up to n (> 0) tokens to follow tokens; fewer or none when there is no good guess.
  virtual std::vector<int32_t> draft(std::span<const int32_t> tokens, int32_t n) = 0;

 private:
  int32_t max_draft_;
  int32_t length_;          // current draft length limit
  int32_t pause_ = 0;       // steps left without drafting
  int32_t rejections_ = 0;  // consecutive drafts rejected outright
  int64_t n_proposed_ = 0;
  int64_t n_accepted_ = 0;
};

}  // namespace tachyon
