#include "engine/prompt_lookup.h"

#include <algorithm>

namespace tachyon {

std::vector<int32_t> prompt_lookup(std::span<const int32_t> tokens, int32_t max_draft, int32_t max_ngram,
                                   int32_t min_ngram) {
  const int64_t n = int64_t(tokens.size());
  if (max_draft <= 0) return {};
  for (int64_t len = std::min<int64_t>(max_ngram, n - 1); len >= std::max(min_ngram, 1); --len) {
    const std::span<const int32_t> suffix = tokens.subspan(size_t(n - len));
    // Latest occurrence first: it is the likeliest to continue the same way. One too close to
    // the end to fill the draft (as in a short loop) gives way to the latest that can.
    int64_t found = -1;
    for (int64_t start = n - len - 1; start >= 0; --start) {
      if (!std::equal(suffix.begin(), suffix.end(), tokens.begin() + start)) continue;
      found = start;
      if (n - (start + len) >= max_draft) break;
    }
    if (found < 0) continue;
    const int64_t from = found + len;
    const int64_t count = std::min<int64_t>(max_draft, n - from);
    return {tokens.begin() + from, tokens.begin() + from + count};
  }
  return {};
}

}  // namespace tachyon
