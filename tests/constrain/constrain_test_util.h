#pragma once
// Helpers shared by the constrain tests: vocabularies, feeding bytes, random walks.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/grammar_matcher.h"

namespace tachyon::constrain_test {

// 256 single-byte tokens (id = byte value) and one end-of-generation token (id 256).
inline std::shared_ptr<const TokenVocabulary> byte_vocabulary() {
  static const auto vocab = [] {
    std::vector<std::string> pieces;
    for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
    pieces.push_back("</s>");
    return std::make_shared<const TokenVocabulary>(std::move(pieces), std::vector<int32_t>{256});
  }();
  return vocab;
}
inline constexpr int32_t kByteEog = 256;

// Whether `text` is a complete sentence of the grammar.
inline bool accepts(const std::shared_ptr<const Grammar>& grammar, std::string_view text) {
  GrammarMatcher matcher(grammar, byte_vocabulary());
  return matcher.accept_bytes(text) && matcher.is_complete();
}

// Whether `text` is a prefix of some sentence.
inline bool accepts_prefix(const std::shared_ptr<const Grammar>& grammar, std::string_view text) {
  GrammarMatcher matcher(grammar, byte_vocabulary());
  return matcher.accept_bytes(text);
}

struct Walk {
  std::string text;
  bool ended_by_eog = false;
  bool stopped = false;  // must_stop() reached
  int n_tokens = 0;
};

// Picks uniformly among the allowed tokens (end of generation weighted by eog_weight relative to
// one token) until must_stop(), an end-of-generation token, or max_tokens.
inline Walk random_walk(GrammarMatcher& matcher, uint64_t seed, int max_tokens = 4000,
                        int eog_weight = 1) {
  const TokenVocabulary& vocab = matcher.cache()->vocabulary();
  std::mt19937_64 rng(seed);
  Walk walk;
  std::vector<uint64_t> bits((vocab.size() + 63) / 64);
  std::vector<int32_t> allowed;
  for (; walk.n_tokens < max_tokens; ++walk.n_tokens) {
    if (matcher.must_stop()) {
      walk.stopped = true;
      break;
    }
    matcher.fill_next_token_bitmask(bits);
    allowed.clear();
    for (size_t id = 0; id < vocab.size(); ++id) {
      if ((bits[id >> 6] >> (id & 63)) & 1) {
        const int copies = vocab.is_eog(static_cast<int32_t>(id)) ? eog_weight : 1;
        for (int c = 0; c < copies; ++c) allowed.push_back(static_cast<int32_t>(id));
      }
    }
    if (allowed.empty()) break;
    const int32_t id = allowed[rng() % allowed.size()];
    if (!matcher.accept_token(id)) break;
    if (vocab.is_eog(id)) {
      walk.ended_by_eog = true;
      break;
    }
    walk.text += vocab.token_bytes(id);
  }
  return walk;
}

}  // namespace tachyon::constrain_test
