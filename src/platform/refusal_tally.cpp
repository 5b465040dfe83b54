#include "platform/refusal_tally.h"

namespace tachyon::platform {
namespace {

// Past this many keys, the entries of earlier minutes are dropped (they decide nothing now).
constexpr size_t kPruneAbove = 4096;

}  // namespace

RefusalTally::RefusalTally(int64_t itemized_per_minute) : itemized_per_minute_(itemized_per_minute) {}

bool RefusalTally::itemize(const std::string& key_id, int64_t now_ms) {
  const int64_t minute = minute_of(now_ms);
  std::lock_guard lock(mutex_);
  if (keys_.size() > kPruneAbove) std::erase_if(keys_, [minute](const auto& k) { return k.second.start_ms != minute; });
  Minute& m = keys_[key_id];
  if (m.start_ms != minute) m = Minute{minute, 0};
  return ++m.refusals <= itemized_per_minute_;
}

}  // namespace tachyon::platform
