#pragma once
// The one ordering of tokens every sampling stage uses: higher logit first, lower id among
// equals. Being total, it makes results independent of how a sort or selection permutes ties.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon {

// True when token a (with logit_a) ranks before token b.
inline bool ranks_before(float logit_a, int32_t token_a, float logit_b, int32_t token_b) {
  return logit_a > logit_b || (logit_a == logit_b && token_a < token_b);
}

// The n best-ranked token ids of a logits row, best first; NaN logits are skipped. One pass with
// a bounded heap, O(vocab * log n): cheap for top_k and top_logprobs sizes.
std::vector<int32_t> best_tokens(std::span<const float> logits, size_t n);

}  // namespace tachyon
