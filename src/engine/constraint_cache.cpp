#include "engine/constraint_cache.h"

namespace tachyon {

Result<std::shared_ptr<MaskCache>> ConstraintCache::get(const std::string& key,
                                                        const std::shared_ptr<const TokenVocabulary>& vocabulary,
                                                        const Compile& compile) {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.cache->memory_bytes() <= kMaxEntryBytes) {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
      return it->second.cache;
    }
  }
  // Compiled outside the lock: a large schema must not stall other requests' look-ups.
  Result<std::shared_ptr<const Grammar>> grammar = compile();
  if (!grammar) return grammar.error();
  auto cache = std::make_shared<MaskCache>(std::move(grammar.value()), vocabulary);
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    recency_.erase(it->second.recency);
    entries_.erase(it);
  }
  recency_.push_front(key);
  entries_.emplace(key, Entry{cache, recency_.begin()});
  while (entries_.size() > kMaxEntries) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  return cache;
}

}  // namespace tachyon
