#include "tokenizer/incremental_decoder.h"

#include "tokenizer/utf8.h"

namespace tachyon {

IncrementalDecoder::IncrementalDecoder(const Tokenizer& tokenizer, bool render_special)
    : tokenizer_(tokenizer), render_special_(render_special) {}

std::string IncrementalDecoder::push(int32_t id) {
  pending_ += tokenizer_.token_to_piece(id, render_special_);
  const size_t ready = pending_.size() - utf8_incomplete_tail(pending_);
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string IncrementalDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace tachyon
