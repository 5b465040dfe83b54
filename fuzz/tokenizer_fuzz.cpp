// Both tokenizers (SentencePiece and byte-level BPE) on arbitrary text: encode, decode and the
// streaming decoder must accept any bytes, return ids inside the vocabulary, and never read out
// of bounds. The vocabularies are the llama.cpp test files in tests/data/tokenizer.
#include <memory>

#include "fuzz_input.h"
#include "gguf/gguf_file.h"
#include "tokenizer/incremental_decoder.h"
#include "tokenizer/tokenizer.h"

namespace {

std::unique_ptr<tachyon::Tokenizer> load(const char* name) {
  auto file = tachyon::GgufFile::open(std::string(TACHYON_TEST_DATA "/tokenizer/") + name);
  if (!file) __builtin_trap();
  auto tokenizer = tachyon::Tokenizer::from_gguf(**file);
  if (!tokenizer) __builtin_trap();
  return std::move(*tokenizer);
}

void exercise(const tachyon::Tokenizer& tok, std::string_view text, bool special) {
  const auto ids = tok.encode(text, special, special);
  for (int32_t id : ids)
    if (id < 0 || id >= tok.n_vocab()) __builtin_trap();
  (void)tok.decode(ids, special, special);
  tachyon::IncrementalDecoder stream(tok);
  for (int32_t id : ids) (void)stream.push(id);
  (void)stream.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto spm = load("ggml-vocab-llama-spm.gguf");
  static const auto bpe = load("ggml-vocab-llama-bpe.gguf");
  if (size == 0) return 0;
  // The first byte picks the options; the rest is the text.
  const bool special = data[0] & 1;
  const std::string_view text = tachyon::fuzz::as_text(data + 1, size - 1);
  exercise(*spm, text, special);
  exercise(*bpe, text, special);
  // Arbitrary ids through the streaming decoder (any id, even out of range, must be safe).
  tachyon::IncrementalDecoder stream(*bpe, special);
  for (size_t i = 1; i + 1 < size; i += 2) (void)stream.push(int32_t(data[i]) << 8 | data[i + 1]);
  (void)stream.flush();
  return 0;
}
