#pragma once
// Processors that rewrite a step's raw logits in place before anything is sampled from them:
// OpenAI logit_bias and the repetition / frequency / presence penalties.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace tachyon {

// Adds each bias to its token's logit; a bias of -100 or less bans the token (logit = -inf),
// which is what -100 means in practice under OpenAI. Ids outside the vocabulary are skipped:
// validate(params, n_vocab) rejects them where the request comes in.
void apply_logit_bias(std::span<float> logits,
                      std::span<const std::pair<int32_t, float>> logit_bias);

// The three history penalties, counted over the last penalty_last_n tokens of prompt + output.
// Keeps a vocabulary-sized count buffer between steps so that a step costs O(window) rather than
// O(vocab). One instance per request; not thread-safe.
class PenaltyProcessor {
 public:
  // last_n: window length, -1 = the whole history, 0 = penalties off.
  PenaltyProcessor(float repetition_penalty, float frequency_penalty, float presence_penalty,
                   int32_t last_n);

  // False when every penalty is neutral, so apply() would change nothing.
  bool active() const;

  // For each distinct token t in the window, seen count c times:
  //   logit = logit > 0 ? logit / repetition : logit * repetition
  //   logit -= c * frequency + presence
  // Ids in history outside [0, logits.size()) are ignored.
  void apply(std::span<float> logits, std::span<const int32_t> history);

 private:
  float repetition_penalty_;
  float frequency_penalty_;
  float presence_penalty_;
  int32_t last_n_;
  std::vector<int32_t> counts_;  // (n_vocab) occurrences in the window; all zero between calls
  std::vector<int32_t> distinct_seen_;  // tokens with counts_ > 0 during apply()
};

}  // namespace tachyon
