#pragma once
// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): spaces become U+2581 and the
// text's UTF-8 characters are merged pairwise, always taking the adjacent pair whose
// concatenation is the highest-scoring vocabulary token (leftmost on ties); characters that never
// form a token fall back to byte tokens <0xNN>. Immutable; thread-safe.
#include <array>

#include "tokenizer/tokenizer.h"

namespace tachyon {

class SpmTokenizer final : public Tokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

 protected:
  void encode_text(std::string_view text, bool at_boundary,
                   std::vector<int32_t>& out) const override;
  std::string render_piece(int32_t id) const override;

 private:
  std::array<int32_t, 256> byte_tokens_{};  // -1 where the vocabulary has no token for a byte
};

}  // namespace tachyon
