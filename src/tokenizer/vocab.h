#pragma once
// What a GGUF file's tokenizer.ggml.* metadata says about the vocabulary: token strings, scores,
// attributes, merges, special ids and the flags that steer encoding and decoding. Built once by
// load_vocab() and immutable afterwards, so any thread may read it.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_file.h"
#include "util/result.h"

namespace tachyon {

// Per-token attribute bits (llama.cpp's numbering, so they can be compared with its dumps).
enum class TokenAttr : uint32_t {
  undefined = 0,
  unknown = 1u << 0,
  unused = 1u << 1,
  normal = 1u << 2,
  control = 1u << 3,
  user_defined = 1u << 4,
  byte = 1u << 5,
  normalized = 1u << 6,
  lstrip = 1u << 7,
  rstrip = 1u << 8,
  single_word = 1u << 9,
};

constexpr TokenAttr operator|(TokenAttr a, TokenAttr b) {
  return static_cast<TokenAttr>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
// True when `attrs` has any of the bits of `mask`.
constexpr bool has_attr(TokenAttr attrs, TokenAttr mask) {
  return (static_cast<uint32_t>(attrs) & static_cast<uint32_t>(mask)) != 0;
}

// tokenizer.ggml.model: "llama" is SentencePiece-style, "gpt2" byte-level BPE, "bert" WordPiece.
enum class VocabType { spm, bpe, wpm };

// Pre-tokenizer regex families of BPE vocabularies (tokenizer.ggml.pre and its aliases).
enum class PreTokenizerType { none, bpe_default, llama3, gpt2, qwen2, deepseek_llm, starcoder };

struct TokenData {
  std::string text;
  float score = 0.0f;
  TokenAttr attr = TokenAttr::normal;
};

struct Vocab {
  VocabType type = VocabType::spm;
  PreTokenizerType pre_type = PreTokenizerType::none;
  std::string pre_name;  // tokenizer.ggml.pre as written in the file

  std::vector<TokenData> tokens;
  std::unordered_map<std::string, int32_t> token_to_id;
  // BPE merge rank keyed by the merge line "left right" (lower rank merges first).
  std::unordered_map<std::string, int32_t> merge_ranks;

  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t eot_id = -1;
  int32_t eom_id = -1;
  int32_t unk_id = -1;
  int32_t sep_id = -1;
  int32_t pad_id = -1;
  int32_t mask_id = -1;
  std::vector<int32_t> eog_ids;  // sorted; tokens that end generation

  // Control, user-defined and unknown tokens, longest text first: the order in which they are
  // cut out of input text before the model-specific tokenizer runs.
  std::vector<int32_t> special_tokens;

  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;           // WordPiece: encode(add_special) ends with the separator ([SEP])
  bool add_space_prefix = false;  // SPM: prepend ' ' to text that starts input or follows a special
  bool ignore_merges = false;     // BPE: a pre-token that is itself a token skips merging
  bool clean_spaces = false;      // decode: drop the space in " ?", " 's" ... (HF clean-up)

  int32_t n_tokens() const { return static_cast<int32_t>(tokens.size()); }
  // Id of the token whose text is exactly `text`, or -1.
  int32_t find(const std::string& text) const;
  // Rank of merging `left` and `right`, or -1 when they do not merge.
  int32_t merge_rank(std::string_view left, std::string_view right) const;
};

// Reads tokenizer.ggml.* from `file`. Errors name the missing or malformed key, or the unknown
// tokenizer model / pre-tokenizer.
Result<Vocab> load_vocab(const GgufFile& file);

}  // namespace tachyon
