#pragma once
// Text <-> token ids for a GGUF model, matching llama.cpp's llama_tokenize / llama_detokenize.
// A Tokenizer is immutable after from_gguf(); every method is const and may be called from any
// number of threads at once.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/vocab.h"
#include "util/result.h"

namespace tachyon {

class Tokenizer {
 public:
  // Builds the tokenizer named by tokenizer.ggml.model ("llama": SentencePiece-style, "gpt2":
  // byte-level BPE, "bert": WordPiece). Errors name a missing/malformed key, or an unknown model or pre-tokenizer.
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& file);
  virtual ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of `text`. add_special: prepend BOS / append EOS as the vocabulary says (see
  // add_bos()); WordPiece vocabularies always get [CLS] first and [SEP] last. parse_special: control tokens written in the text ("<s>", "<|im_start|>") become
  // their ids; user-defined tokens are always matched. SPM vocabularies prefix a space to text at
  // the start of input and after each special token (add_space_prefix).
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // A client's text bound for a chat prompt, with the control tokens it spells shielded
  // (special_shield.h), so that encode_chat() keeps them text.
  std::string shield_special(std::string_view text) const;

  // encode(prompt, add_special, parse_special = true) for a chat prompt whose client text was
  // shielded: the template's control tokens become their ids, the client's stay text.
  std::vector<int32_t> encode_chat(std::string_view prompt, bool add_special) const;

  // Bytes of one token: byte tokens give that byte, SPM's U+2581 gives ' ', byte-level BPE text
  // is mapped back to bytes. Control and unknown tokens are empty unless render_special. The
  // result may end inside a UTF-8 sequence; an unknown id gives "".
  std::string token_to_piece(int32_t id, bool render_special = false) const;

  // Text of `ids`. remove_special drops a leading BOS / trailing EOS the vocabulary adds; SPM
  // drops the prefix space of the first token; some BPE vocabularies clean up " ?", " 's" etc.
  std::string decode(std::span<const int32_t> ids, bool remove_special = false,
                     bool render_special = false) const;

  int32_t n_vocab() const { return vocab_.n_tokens(); }
  int32_t bos_id() const { return vocab_.bos_id; }  // -1 when none
  int32_t eos_id() const { return vocab_.eos_id; }  // -1 when none
  // End of generation: EOS, EOT and the end-of-turn tokens (<|eot_id|>, <|im_end|>, <|end|> ...).
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;
  // Id of the token whose text is exactly `text`.
  std::optional<int32_t> find_token(std::string_view text) const;
  // The token's string as stored in the vocabulary ("" for an unknown id).
  std::string_view token_text(int32_t id) const;
  // Whether encode(add_special=true) prepends BOS (resp. appends EOS).
  bool add_bos() const { return vocab_.add_bos; }
  bool add_eos() const { return vocab_.add_eos; }
  const Vocab& vocab() const { return vocab_; }

 protected:
  explicit Tokenizer(Vocab vocab);

  // Appends the ids of one piece of plain text (special tokens already cut out). at_boundary is
  // true when the piece starts the input or follows a special token.
  virtual void encode_text(std::string_view text, bool at_boundary,
                           std::vector<int32_t>& out) const = 0;
  // Bytes of token `id` with special tokens rendered; called once per token by
  // build_piece_cache().
  virtual std::string render_piece(int32_t id) const = 0;
  // encode(); `shielded`: the text's runs between special tokens are unshielded first.
  std::vector<int32_t> encode_fragments(std::string_view text, bool add_special, bool parse_special,
                                        bool shielded) const;
  // Fills the piece cache; the most-derived constructor calls it last.
  void build_piece_cache();

  const Vocab vocab_;

 private:
  std::vector<std::string> pieces_;
};

}  // namespace tachyon
