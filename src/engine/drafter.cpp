#include "engine/drafter.h"

#include <algorithm>

namespace tachyon {

Drafter::Drafter(int32_t max_draft) : max_draft_(std::max(max_draft, 0)), length_(max_draft_) {}

std::vector<int32_t> Drafter::propose(std::span<const int32_t> tokens, int32_t room) {
  if (pause_ > 0) {
    --pause_;
    return {};
  }
  const int32_t n = std::min(length_, room);
  if (n <= 0) return {};
  std::vector<int32_t> tokens_out = draft(tokens, n);
  if (int32_t(tokens_out.size()) > n) tokens_out.resize(size_t(n));
  return tokens_out;
}

void Drafter::record(int32_t proposed, int32_t accepted) {
  if (proposed <= 0) return;
  n_proposed_ += proposed;
  n_accepted_ += accepted;
  if (accepted == proposed) {
    length_ = std::min(max_draft_, std::max(1, length_ * 2));
    rejections_ = 0;
  } else if (accepted > 0) {
    length_ = std::max(1, accepted + 1);
    rejections_ = 0;
  } else {
    length_ = std::max(1, length_ / 2);
    pause_ = std::min(64, 1 << std::min(rejections_, 6));
    ++rejections_;
  }
}

}  // namespace tachyon
