#pragma once
// GrammarMatcher: one request's progress through a Grammar, token by token, and the mask of the
// tokens that may come next.
//
//   auto vocab = std::make_shared<const TokenVocabulary>(pieces, eog_ids);   // once per model
//   auto grammar = compile_json_schema(schema, opts);                          // once per schema
//   GrammarMatcher matcher(*grammar, vocab);
//   loop: matcher.mask_logits(logits); id = sample(logits); matcher.accept_token(id);
//         stop when id is end-of-generation or matcher.must_stop().
//
// Not thread-safe: one request's steps call it in order. Copying a matcher forks the request
// (both copies share the cache). The mask depends only on the matcher's state.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "constrain/grammar.h"
#include "constrain/mask_cache.h"
#include "constrain/token_vocabulary.h"

namespace tachyon {

class GrammarMatcher {
 public:
  // A matcher with its own cache (masks are reused within this request only).
  GrammarMatcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocabulary);
  // A matcher on a cache shared with other requests of the same grammar and vocabulary, so a
  // state any of them has seen costs a lookup.
  explicit GrammarMatcher(std::shared_ptr<MaskCache> cache);

  // Sets the logit of every token that may not come next to -infinity: tokens whose bytes would
  // leave the language, end-of-generation tokens unless the output is complete, tokens without
  // bytes, and ids at or past the vocabulary's size (logits may be longer, as padded model
  // vocabularies are). After must_stop() only end-of-generation tokens stay; a vocabulary with
  // none then has every logit at -infinity, and the caller stops on must_stop() instead.
  void mask_logits(std::span<float> logits);
  // The same decision as a bitmask: bit (id % 64) of words[id / 64] is set when id may come
  // next. words.size() must be at least (vocabulary size + 63) / 64; extra words are zeroed.
  void fill_next_token_bitmask(std::span<uint64_t> words);
  // Whether token id may come next (same answer as the mask).
  bool is_allowed(int32_t id);

  // Advances by one sampled token; returns false (and changes nothing) if it is not allowed.
  // Accepting an end-of-generation token finishes the matcher (must_stop() becomes true).
  bool accept_token(int32_t id);
  // Advances by raw bytes (a forced prefix, or tests); all or nothing, like accept_token.
  bool accept_bytes(std::string_view bytes);

  // The output so far is a full sentence (an end-of-generation token would be allowed).
  bool is_complete() const;
  // Complete, and no further byte is possible (e.g. after the closing brace).
  bool must_stop() const;
  // Back to the empty output.
  void reset();

  const std::shared_ptr<MaskCache>& cache() const { return cache_; }

 private:
  std::shared_ptr<MaskCache> cache_;
  MaskCache::StateId state_;
  bool finished_ = false;  // an end-of-generation token was accepted
};

}  // namespace tachyon
