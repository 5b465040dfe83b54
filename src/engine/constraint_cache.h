#pragma once
// The compiled constraints of one model, shared by its requests: a request whose
// response_format (or forced tool call) was seen before reuses the grammar and every mask
// already computed for it, instead of compiling and walking the vocabulary again. Masks are
// pure functions of the automaton state, so sharing never changes an output. Bounded: at most
// kMaxEntries constraints (least recently used dropped first), and an entry whose automaton
// has grown past kMaxEntryBytes (recursive schemas keep adding states) starts over.
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "constrain/grammar.h"
#include "constrain/mask_cache.h"
#include "constrain/token_vocabulary.h"
#include "util/result.h"

namespace tachyon {

class ConstraintCache {
 public:
  static constexpr size_t kMaxEntries = 64;
  static constexpr size_t kMaxEntryBytes = size_t{64} << 20;

  using Compile = std::function<Result<std::shared_ptr<const Grammar>>()>;

  // The cache of the constraint named `key` (the compiler's input, canonical), compiling it with
  // `compile` when it is not held; compile errors come back and are not kept. Thread-safe.
  Result<std::shared_ptr<MaskCache>> get(const std::string& key, const std::shared_ptr<const TokenVocabulary>& vocabulary,
                                         const Compile& compile);

 private:
  struct Entry {
    std::shared_ptr<MaskCache> cache;
    std::list<std::string>::iterator recency;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // most recent first
};

}  // namespace tachyon
