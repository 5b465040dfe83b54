// Real tokenizers: the masks work on token_to_piece bytes of a SentencePiece vocabulary (byte
// fallback tokens <0xE4> and U+2581 spaces) and a 128k byte-level BPE one (Llama 3).
#include <filesystem>

#include <gtest/gtest.h>

#include "constrain/constrain_test_util.h"
#include "constrain/json_schema.h"
#include "constrain/regex_compiler.h"
#include "constrain/schema_validator.h"
#include "tokenizer/tokenizer.h"

namespace tachyon {
namespace {

using json = nlohmann::json;

std::shared_ptr<const TokenVocabulary> load_vocabulary(const std::string& name, const Tokenizer** tokenizer_out) {
  static std::map<std::string, std::pair<std::unique_ptr<Tokenizer>, std::shared_ptr<const TokenVocabulary>>> cache;
  auto& slot = cache[name];
  if (!slot.second) {
    const std::string path = std::string(TACHYON_TEST_DATA) + "/tokenizer/ggml-vocab-" + name + ".gguf";
    auto file = GgufFile::open(path);
    if (!file) throw std::runtime_error(file.error().message);
    auto tokenizer = Tokenizer::from_gguf(**file);
    if (!tokenizer) throw std::runtime_error(tokenizer.error().message);
    std::vector<std::string> pieces;
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < (*tokenizer)->n_vocab(); ++id) {
      pieces.push_back((*tokenizer)->token_to_piece(id));
      if ((*tokenizer)->is_eog(id)) eog.push_back(id);
    }
    slot.first = std::move(*tokenizer);
    slot.second = std::make_shared<const TokenVocabulary>(std::move(pieces), std::move(eog));
  }
  if (tokenizer_out) *tokenizer_out = slot.first.get();
  return slot.second;
}

const char* kSchema = R"({"type":"object","properties":{
  "title":{"type":"string","maxLength":20},
  "year":{"type":"integer","minimum":1900,"maximum":2100},
  "genres":{"type":"array","items":{"enum":["drama","comedy","sci-fi"]},"minItems":1,"maxItems":2},
  "rating":{"type":"number"},
  "director":{"type":"object","properties":{"name":{"type":"string"},"born":{"type":"string","format":"date"}},
              "required":["name"],"additionalProperties":false}},
  "required":["title","year","genres","director"],"additionalProperties":false})";

class RealVocabulary : public ::testing::TestWithParam<const char*> {};

TEST_P(RealVocabulary, WalksValidateAndMasksMatchBruteForce) {
  const Tokenizer* tokenizer = nullptr;
  auto vocab = load_vocabulary(GetParam(), &tokenizer);
  ASSERT_FALSE(vocab->eog_ids().empty());
  auto grammar = compile_json_schema_text(kSchema, SchemaOptions{});
  ASSERT_TRUE(grammar.ok()) << grammar.error().message;
  const json schema = json::parse(kSchema);
  auto cache = std::make_shared<MaskCache>(*grammar, vocab);

  // Brute force on the first states of one walk: every token tried from the state.
  {
    GrammarMatcher matcher(cache);
    std::mt19937_64 rng(1);
    std::vector<uint64_t> bits((vocab->size() + 63) / 64);
    for (int step = 0; step < 6; ++step) {
      matcher.fill_next_token_bitmask(bits);
      std::vector<int32_t> allowed;
      for (size_t id = 0; id < vocab->size(); ++id) {
        const bool in_mask = (bits[id >> 6] >> (id & 63)) & 1;
        GrammarMatcher copy = matcher;
        ASSERT_EQ(in_mask, copy.accept_token(static_cast<int32_t>(id))) << "token " << id << " step " << step;
        if (in_mask && !vocab->is_eog(static_cast<int32_t>(id))) allowed.push_back(static_cast<int32_t>(id));
      }
      ASSERT_FALSE(allowed.empty());
      ASSERT_TRUE(matcher.accept_token(allowed[rng() % allowed.size()]));
    }
  }

  int n_finished = 0;
  for (int seed = 0; seed < 12; ++seed) {
    GrammarMatcher matcher(cache);
    const auto walk = constrain_test::random_walk(matcher, seed, 2000, 200);
    if (!walk.stopped && !walk.ended_by_eog) continue;
    ++n_finished;
    const json value = json::parse(walk.text, nullptr, false);
    ASSERT_FALSE(value.is_discarded()) << walk.text;
    EXPECT_EQ(constrain_test::validate(value, schema, schema), "") << walk.text;
  }
  EXPECT_GE(n_finished, 8);

  // A text the tokenizer splits its own way (byte fallback for 中 in SPM) is accepted token by
  // token.
  const std::string text = R"({"title": "中文 Film", "year": 1999, "genres": ["drama"], "director": {"name": "Zoë"}})";
  // SPM prefixes a space to encoded text, which the grammar does not allow before '{': the
  // first piece is fed without it.
  GrammarMatcher matcher(cache);
  const auto ids = tokenizer->encode(text, /*add_special=*/false, /*parse_special=*/false);
  std::string_view first = vocab->token_bytes(ids[0]);
  if (first.starts_with(' ')) first.remove_prefix(1);
  ASSERT_TRUE(matcher.accept_bytes(first));
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_TRUE(matcher.accept_token(ids[i])) << "token '" << vocab->token_bytes(ids[i]) << "'";
  }
  EXPECT_TRUE(matcher.must_stop());
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, RealVocabulary, ::testing::Values("llama-bpe", "llama-spm"));

}  // namespace
}  // namespace tachyon
