#pragma once
// BERT's WordPiece tokenizer (tokenizer.ggml.model = "bert", llama.cpp's "WPM"), as llama.cpp
// applies it. Text is split into words: each character is mapped to the first code point of its
// canonical (NFD) decomposition and lowercased; whitespace separates words; punctuation, ASCII
// symbols and CJK ideographs are words of one character; control characters, U+0000 and U+FFFD
// are dropped. Each word, prefixed with U+2581, is cut greedily left to right into the longest
// vocabulary entries; a word with a position no entry matches becomes [UNK]. encode() with
// add_special puts [CLS] first and [SEP] last. Unicode properties come from ICU.
// Immutable; thread-safe.
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace tachyon {

class WpmTokenizer final : public Tokenizer {
 public:
  explicit WpmTokenizer(Vocab vocab);

  // The words of `text` after normalisation, without the U+2581 prefix (exposed for tests).
  static std::vector<std::string> split_words(std::string_view text);

 protected:
  void encode_text(std::string_view text, bool at_boundary,
                   std::vector<int32_t>& out) const override;
  std::string render_piece(int32_t id) const override;

 private:
  size_t max_token_bytes_ = 0;  // the longest vocabulary entry, in bytes
};

}  // namespace tachyon
