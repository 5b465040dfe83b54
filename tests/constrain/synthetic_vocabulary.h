#pragma once
// A synthetic vocabulary shaped like a real BPE one: 256 byte tokens (byte fallback, so any text
// can be written), JSON fragments, numbers, English-like words with and without a leading space
// and capital, some multi-byte UTF-8 (whole and split characters), and one end-of-generation
// token as the last id. Deterministic for a given size and seed.
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace tachyon::constrain_test {

struct SyntheticVocabulary {
  std::vector<std::string> pieces;
  std::vector<int32_t> eog_ids;
};

inline SyntheticVocabulary make_synthetic_vocabulary(size_t n_tokens, uint64_t seed = 1) {
  SyntheticVocabulary vocab;
  std::set<std::string> seen;
  auto add = [&](const std::string& piece) {
    if (vocab.pieces.size() + 1 < n_tokens && seen.insert(piece).second) vocab.pieces.push_back(piece);
  };
  for (int b = 0; b < 256; ++b) {
    vocab.pieces.push_back(std::string(1, static_cast<char>(b)));
    seen.insert(vocab.pieces.back());
  }
  for (const char* fragment :
       {"{\"", "\"}", "\":", "\": ", "\": \"", "\",", "\", \"", ",\"", "\":\"", "\"},", "\"}]", "},{", "}, {",
        "[{", "}]", "[]", "{}", "[\"", "\"]", "\"],", "],", "]}", "}}", "null", "true", "false", " null",
        " true", " false", ", ", ": ", "  ", "   ", "    ", "\n", "\n  ", "\n    ", "\\n", "\\\"", "\\u",
        ".\"", ".\",", "-", "--", "://", "@", ".com", "T", "Z", ":00", "é", "ü", "中", "文", "😀",
        "\xe4\xb8", "\xad", "\xf0\x9f", "\x98\x80", "\xe2\x80\x99", "\xe2\x80", "\x99"}) {
    add(fragment);
  }
  for (int i = 0; i < 1000; ++i) add(std::to_string(i));
  for (int i = 0; i < 100; ++i) add(std::to_string(i).insert(0, 1, ' '));
  std::mt19937_64 rng(seed);
  const std::vector<std::string> onsets = {"", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p",
                                           "r", "s", "t", "v", "w", "y", "z", "ch", "sh", "th", "st",
                                           "tr", "pl", "gr", "br", "cl", "str"};
  const std::vector<std::string> nuclei = {"a", "e", "i", "o", "u", "ea", "ou", "io", "ee", "ai"};
  const std::vector<std::string> codas = {"", "", "n", "r", "s", "t", "l", "nd", "ng", "st", "ck", "m"};
  while (vocab.pieces.size() + 1 < n_tokens) {
    std::string word;
    const int syllables = 1 + static_cast<int>(rng() % 3);
    for (int s = 0; s < syllables; ++s) {
      word += onsets[rng() % onsets.size()] + nuclei[rng() % nuclei.size()] + codas[rng() % codas.size()];
    }
    const unsigned shape = rng() % 10;
    if (shape == 4 || shape == 5) word[0] = static_cast<char>(word[0] - 'a' + 'A');
    if (shape < 4 || shape == 5) word.insert(0, 1, ' ');
    if (shape == 6) word += rng() % 2 ? ',' : '.';
    if (shape == 7) word.insert(0, 1, '"');
    add(word);
  }
  vocab.eog_ids.push_back(static_cast<int32_t>(vocab.pieces.size()));
  vocab.pieces.push_back("");  // the end-of-generation token renders as nothing
  return vocab;
}

}  // namespace tachyon::constrain_test
