#pragma once
// Streaming detokenizer for one generation: push() each sampled id and get back the text that is
// now complete. Bytes that start a UTF-8 sequence still missing its continuation bytes (an emoji
// split over several byte tokens) are held back until the sequence completes; flush() returns
// what is left at the end. Pieces are those of Tokenizer::token_to_piece, concatenated without
// decode()'s first-token space stripping or clean-up, as a server streams them. One instance
// belongs to one stream and one thread; the Tokenizer must outlive it.
#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace tachyon {

class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(const Tokenizer& tokenizer, bool render_special = false);

  // Complete UTF-8 text made available by `id` (possibly empty).
  std::string push(int32_t id);
  // Everything still held back, complete or not; the decoder is empty afterwards.
  std::string flush();
  // Bytes currently held back.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace tachyon
