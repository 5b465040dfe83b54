#include "sampling/token_ranking.h"

#include <algorithm>
#include <cmath>

namespace tachyon {

std::vector<int32_t> best_tokens(std::span<const float> logits, size_t n) {
  n = std::min(n, logits.size());
  if (n == 0) return {};
  // As a heap comparator this keeps the worst of the current best n at the front, ready to be
  // replaced.
  auto better = [&](int32_t a, int32_t b) { return ranks_before(logits[a], a, logits[b], b); };
  std::vector<int32_t> best;
  best.reserve(n);
  for (int32_t token = 0; token < static_cast<int32_t>(logits.size()); ++token) {
    if (std::isnan(logits[token])) continue;
    if (best.size() < n) {
      best.push_back(token);
      std::push_heap(best.begin(), best.end(), better);
    } else if (better(token, best.front())) {
      std::pop_heap(best.begin(), best.end(), better);
      best.back() = token;
      std::push_heap(best.begin(), best.end(), better);
    }
  }
  std::sort_heap(best.begin(), best.end(), better);
  return best;
}

}  // namespace tachyon
