#include "sampling/logits_processors.h"

#include <algorithm>
#include <limits>

namespace tachyon {

void apply_logit_bias(std::span<float> logits,
                      std::span<const std::pair<int32_t, float>> logit_bias) {
  const auto n_vocab = static_cast<int64_t>(logits.size());
  for (const auto& [token, bias] : logit_bias) {
    if (token < 0 || token >= n_vocab) continue;
    if (bias <= -100.0f) {
      logits[token] = -std::numeric_limits<float>::infinity();
    } else {
      logits[token] += bias;
    }
  }
}

PenaltyProcessor::PenaltyProcessor(float repetition_penalty, float frequency_penalty,
                                   float presence_penalty, int32_t last_n)
    : repetition_penalty_(repetition_penalty),
      frequency_penalty_(frequency_penalty),
      presence_penalty_(presence_penalty),
      last_n_(last_n) {}

bool PenaltyProcessor::active() const {
  return last_n_ != 0 &&
         (repetition_penalty_ != 1.0f || frequency_penalty_ != 0.0f || presence_penalty_ != 0.0f);
}

void PenaltyProcessor::apply(std::span<float> logits, std::span<const int32_t> history) {
  if (!active() || history.empty()) return;
  const auto n_vocab = static_cast<int64_t>(logits.size());
  if (static_cast<int64_t>(counts_.size()) != n_vocab) counts_.assign(n_vocab, 0);

  size_t window = history.size();
  if (last_n_ > 0) window = std::min(window, static_cast<size_t>(last_n_));
  distinct_seen_.clear();
  for (int32_t token : history.last(window)) {
    if (token < 0 || token >= n_vocab) continue;
    if (counts_[token]++ == 0) distinct_seen_.push_back(token);
  }

  for (int32_t token : distinct_seen_) {
    float& logit = logits[token];
    logit = logit > 0.0f ? logit / repetition_penalty_ : logit * repetition_penalty_;
    logit -= static_cast<float>(counts_[token]) * frequency_penalty_ + presence_penalty_;
    counts_[token] = 0;
  }
}

}  // namespace tachyon
