#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace tachyon {

namespace {

constexpr std::string_view kKeyModel = "tokenizer.ggml.model";
constexpr std::string_view kKeyPre = "tokenizer.ggml.pre";
constexpr std::string_view kKeyTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kKeyScores = "tokenizer.ggml.scores";
constexpr std::string_view kKeyTokenType = "tokenizer.ggml.token_type";
constexpr std::string_view kKeyMerges = "tokenizer.ggml.merges";

// GGUF token types (tokenizer.ggml.token_type values).
enum GgufTokenType : int64_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

TokenAttr attr_from_token_type(int64_t type) {
  switch (type) {
    case kTypeNormal: return TokenAttr::normal;
    case kTypeUnknown: return TokenAttr::unknown;
    case kTypeControl: return TokenAttr::control;
    case kTypeUserDefined: return TokenAttr::user_defined;
    case kTypeUnused: return TokenAttr::unused;
    case kTypeByte: return TokenAttr::byte;
    default: return TokenAttr::undefined;
  }
}

struct PreTokenizerSpec {
  std::string_view name;
  PreTokenizerType type;
  bool clean_spaces;
  bool ignore_merges;
  bool add_bos;
};

// tokenizer.ggml.pre names grouped by the regex family they share. The flags are those llama.cpp
// applies per name; names not listed here are rejected rather than tokenized wrongly.
constexpr std::array kPreTokenizers = {
    PreTokenizerSpec{"default", PreTokenizerType::bpe_default, true, false, false},
    PreTokenizerSpec{"llama3", PreTokenizerType::llama3, true, true, true},
    PreTokenizerSpec{"llama-v3", PreTokenizerType::llama3, true, true, true},
    PreTokenizerSpec{"llama-bpe", PreTokenizerType::llama3, true, true, true},
    PreTokenizerSpec{"falcon3", PreTokenizerType::llama3, true, true, true},
    PreTokenizerSpec{"dbrx", PreTokenizerType::llama3, true, false, false},
    PreTokenizerSpec{"smaug-bpe", PreTokenizerType::llama3, true, false, false},
    PreTokenizerSpec{"gpt-2", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"phi-2", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"roberta-bpe", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"mpt", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"olmo", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"jais", PreTokenizerType::gpt2, true, false, false},
    PreTokenizerSpec{"qwen2", PreTokenizerType::qwen2, false, false, false},
    PreTokenizerSpec{"deepseek-r1-qwen", PreTokenizerType::qwen2, false, false, false},
    PreTokenizerSpec{"megrez", PreTokenizerType::qwen2, false, false, false},
    PreTokenizerSpec{"stablelm2", PreTokenizerType::qwen2, true, false, false},
    PreTokenizerSpec{"deepseek-llm", PreTokenizerType::deepseek_llm, false, false, false},
    PreTokenizerSpec{"starcoder", PreTokenizerType::starcoder, true, false, false},
    PreTokenizerSpec{"refact", PreTokenizerType::starcoder, true, false, false},
    PreTokenizerSpec{"command-r", PreTokenizerType::starcoder, false, false, false},
    PreTokenizerSpec{"smollm", PreTokenizerType::starcoder, false, false, false},
    PreTokenizerSpec{"codeshell", PreTokenizerType::starcoder, false, false, false},
    PreTokenizerSpec{"exaone", PreTokenizerType::starcoder, true, false, false},
    PreTokenizerSpec{"minerva-7b", PreTokenizerType::starcoder, true, false, false},
};

// Texts that mark end-of-turn tokens in vocabularies whose metadata does not name them; the
// first list picks the EOT id, the second every token that ends generation.
constexpr std::array<std::string_view, 7> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"};
constexpr std::array<std::string_view, 7> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>"};

Status load_tokens(const GgufFile& file, Vocab& vocab) {
  auto texts = file.get_string_array(kKeyTokens);
  if (!texts) return make_error("missing or malformed key {}", kKeyTokens);
  if (texts->empty()) return make_error("key {} is empty", kKeyTokens);
  const size_t n = texts->size();

  std::optional<std::vector<float>> scores;
  if (file.find(kKeyScores)) {
    scores = file.get_float_array(kKeyScores);
    if (!scores || scores->size() != n)
      return make_error("key {} is malformed or does not have {} entries", kKeyScores, n);
  }
  std::optional<std::vector<int64_t>> types;
  if (file.find(kKeyTokenType)) {
    types = file.get_int_array(kKeyTokenType);
    if (!types || types->size() != n)
      return make_error("key {} is malformed or does not have {} entries", kKeyTokenType, n);
  }

  vocab.tokens.resize(n);
  vocab.token_to_id.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = vocab.tokens[i];
    t.text = std::move((*texts)[i]);
    t.score = scores ? (*scores)[i] : 0.0f;
    t.attr = attr_from_token_type(types ? (*types)[i] : kTypeNormal);
    // A repeated string resolves to its last id, as in llama.cpp.
    vocab.token_to_id[t.text] = static_cast<int32_t>(i);
  }
  return Status::success();
}

Status load_merges(const GgufFile& file, Vocab& vocab) {
  auto merges = file.get_string_array(kKeyMerges);
  if (!merges) return make_error("missing or malformed key {}", kKeyMerges);
  vocab.merge_ranks.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    // The first occurrence of a merge keeps its rank.
    vocab.merge_ranks.emplace(std::move((*merges)[i]), static_cast<int32_t>(i));
  }
  return Status::success();
}

Status configure_pre_tokenizer(const GgufFile& file, Vocab& vocab) {
  vocab.pre_name = file.get_string(kKeyPre).value_or("");
  if (vocab.type == VocabType::wpm) {
    // WordPiece has one fixed pre-tokenizer; tokenizer.ggml.pre is ignored, as llama.cpp does.
    // Decoding drops the space before punctuation, as BERT's Hugging Face tokenizer does.
    vocab.pre_type = PreTokenizerType::none;
    vocab.add_space_prefix = false;
    vocab.clean_spaces = true;
    return Status::success();
  }
  if (vocab.type == VocabType::spm) {
    vocab.pre_type = PreTokenizerType::none;
    vocab.add_space_prefix = true;
    vocab.add_bos = true;
    vocab.clean_spaces = false;
    return Status::success();
  }
  vocab.add_space_prefix = false;
  vocab.clean_spaces = true;
  if (vocab.pre_name.empty()) {
    vocab.pre_type = PreTokenizerType::bpe_default;
    return Status::success();
  }
  for (const PreTokenizerSpec& spec : kPreTokenizers) {
    if (spec.name != vocab.pre_name) continue;
    vocab.pre_type = spec.type;
    vocab.clean_spaces = spec.clean_spaces;
    vocab.ignore_merges = spec.ignore_merges;
    vocab.add_bos = spec.add_bos;
    return Status::success();
  }
  return make_error("unknown pre-tokenizer '{}' ({})", vocab.pre_name, kKeyPre);
}

void load_special_ids(const GgufFile& file, Vocab& vocab) {
  if (vocab.type == VocabType::spm) {
    vocab.bos_id = 1;
    vocab.eos_id = 2;
    vocab.unk_id = 0;
  } else if (vocab.type == VocabType::wpm) {
    // BERT's ids: [PAD] 0, [UNK] 100, [CLS] 101 (the BOS), [SEP] 102, [MASK] 103; no EOS.
    vocab.pad_id = 0;
    vocab.unk_id = 100;
    vocab.bos_id = 101;
    vocab.sep_id = 102;
    vocab.mask_id = 103;
  } else {
    vocab.bos_id = 11;
    vocab.eos_id = 11;
  }
  const struct {
    std::string_view key;
    int32_t* id;
  } keys[] = {
      {"tokenizer.ggml.bos_token_id", &vocab.bos_id},
      {"tokenizer.ggml.eos_token_id", &vocab.eos_id},
      {"tokenizer.ggml.eot_token_id", &vocab.eot_id},
      {"tokenizer.ggml.eom_token_id", &vocab.eom_id},
      {"tokenizer.ggml.unknown_token_id", &vocab.unk_id},
      {"tokenizer.ggml.seperator_token_id", &vocab.sep_id},
      {"tokenizer.ggml.padding_token_id", &vocab.pad_id},
      {"tokenizer.ggml.mask_token_id", &vocab.mask_id},
  };
  for (const auto& k : keys) {
    // Out-of-range ids in the file are ignored and the default kept, as llama.cpp does.
    if (auto v = file.get_int(k.key); v && *v >= 0 && *v < vocab.n_tokens())
      *k.id = static_cast<int32_t>(*v);
    if (*k.id >= vocab.n_tokens()) *k.id = -1;
  }
  if (auto v = file.get_bool("tokenizer.ggml.add_space_prefix")) vocab.add_space_prefix = *v;
  if (auto v = file.get_bool("tokenizer.ggml.add_bos_token")) vocab.add_bos = *v;
  if (auto v = file.get_bool("tokenizer.ggml.add_eos_token")) vocab.add_eos = *v;
  if (vocab.type == VocabType::wpm) {
    // llama.cpp always frames WordPiece input as [CLS] ... [SEP], whatever the add_* keys say.
    vocab.add_bos = true;
    vocab.add_eos = false;
    vocab.add_sep = true;
  }
}

// End-of-generation tokens are recognised by their text; they are forced to be control tokens so
// that they are never rendered or matched as plain text.
void detect_end_of_generation(Vocab& vocab) {
  if (vocab.eot_id < 0) {
    for (std::string_view text : kEotTexts) {
      const int32_t id = vocab.find(std::string(text));
      if (id < 0) continue;
      vocab.eot_id = id;
      vocab.tokens[id].attr = TokenAttr::control;
      break;
    }
  }
  std::vector<int32_t> eog;
  for (std::string_view text : kEogTexts) {
    const int32_t id = vocab.find(std::string(text));
    if (id < 0) continue;
    eog.push_back(id);
    if (!has_attr(vocab.tokens[id].attr, TokenAttr::control))
      vocab.tokens[id].attr = TokenAttr::control;
  }
  for (int32_t id : {vocab.eos_id, vocab.eot_id, vocab.eom_id})
    if (id >= 0) eog.push_back(id);
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  vocab.eog_ids = std::move(eog);
}

void collect_special_tokens(Vocab& vocab) {
  const TokenAttr special = TokenAttr::control | TokenAttr::user_defined | TokenAttr::unknown;
  for (int32_t id = 0; id < vocab.n_tokens(); ++id)
    if (has_attr(vocab.tokens[id].attr, special)) vocab.special_tokens.push_back(id);
  std::stable_sort(vocab.special_tokens.begin(), vocab.special_tokens.end(),
                   [&](int32_t a, int32_t b) {
                     return vocab.tokens[a].text.size() > vocab.tokens[b].text.size();
                   });
}

void set_rstrip(Vocab& vocab, int32_t id, bool on) {
  if (id < 0) return;
  auto bits = static_cast<uint32_t>(vocab.tokens[id].attr);
  const auto rstrip = static_cast<uint32_t>(TokenAttr::rstrip);
  vocab.tokens[id].attr = static_cast<TokenAttr>(on ? (bits | rstrip) : (bits & ~rstrip));
}

// GGUF files carry no per-token strip flags; Phi-3's tokenizer eats the whitespace after its
// special tokens (except <unk>, <s> and <|endoftext|>), which llama.cpp keys on the model name.
void apply_model_token_attrs(const GgufFile& file, Vocab& vocab) {
  std::string name = file.get_string("general.name").value_or("");
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
  for (int32_t id : vocab.special_tokens) set_rstrip(vocab, id, true);
  set_rstrip(vocab, vocab.find("</s>"), true);
  for (const char* text : {"<unk>", "<s>", "<|endoftext|>"}) set_rstrip(vocab, vocab.find(text), false);
}

}  // namespace

int32_t Vocab::find(const std::string& text) const {
  auto it = token_to_id.find(text);
  return it == token_to_id.end() ? -1 : it->second;
}

int32_t Vocab::merge_rank(std::string_view left, std::string_view right) const {
  std::string key;
  key.reserve(left.size() + 1 + right.size());
  key.append(left).append(1, ' ').append(right);
  auto it = merge_ranks.find(key);
  return it == merge_ranks.end() ? -1 : it->second;
}

Result<Vocab> load_vocab(const GgufFile& file) {
  Vocab vocab;
  auto model = file.get_string(kKeyModel);
  if (!model) return make_error("missing or malformed key {}", kKeyModel);
  if (*model == "llama") {
    vocab.type = VocabType::spm;
  } else if (*model == "gpt2") {
    vocab.type = VocabType::bpe;
  } else if (*model == "bert") {
    vocab.type = VocabType::wpm;
  } else {
    return make_error("unsupported tokenizer model '{}' ({})", *model, kKeyModel);
  }

  if (Status s = load_tokens(file, vocab); !s) return s.error();
  if (vocab.type == VocabType::bpe) {
    if (Status s = load_merges(file, vocab); !s) return s.error();
  }
  if (Status s = configure_pre_tokenizer(file, vocab); !s) return s.error();
  load_special_ids(file, vocab);
  detect_end_of_generation(vocab);
  collect_special_tokens(vocab);
  apply_model_token_attrs(file, vocab);
  return vocab;
}

}  // namespace tachyon
