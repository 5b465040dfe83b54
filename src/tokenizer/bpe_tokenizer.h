#pragma once
// Byte-level BPE tokenizer (tokenizer.ggml.model = "gpt2"): text is split by the pre-tokenizer,
// each word's bytes are mapped to GPT-2's printable alphabet, then adjacent symbols are merged by
// merge rank (lowest first, leftmost on ties) until no listed merge applies. Immutable;
// thread-safe.
#include <memory>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace tachyon {

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(Vocab vocab, std::unique_ptr<PreTokenizer> pre_tokenizer);

 protected:
  void encode_text(std::string_view text, bool at_boundary,
                   std::vector<int32_t>& out) const override;
  std::string render_piece(int32_t id) const override;

 private:
  void encode_word(const std::string& word, std::vector<int32_t>& out) const;

  std::unique_ptr<PreTokenizer> pre_tokenizer_;
};

}  // namespace tachyon
