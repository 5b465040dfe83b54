#pragma once
// Regex pre-tokenization of byte-level BPE vocabularies: splits text into the words that BPE
// merges never cross. A family applies a list of regexes in turn, each one splitting every piece
// left by the previous one into its matches and the text between them (nothing is dropped).
// Immutable after construction; split() may be called from any thread.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"
#include "util/result.h"

namespace tachyon {

class PreTokenizer {
 public:
  // Compiles the regexes of `type` (PreTokenizerType::none yields a splitter that keeps the
  // text whole). Errors only if a regex fails to compile.
  static Result<std::unique_ptr<PreTokenizer>> create(PreTokenizerType type);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Words of `text` in order; their concatenation is sanitize_utf8(text).
  std::vector<std::string> split(std::string_view text) const;

 private:
  struct CompiledRegex;
  PreTokenizer() = default;
  std::vector<std::unique_ptr<CompiledRegex>> regexes_;
};

}  // namespace tachyon
