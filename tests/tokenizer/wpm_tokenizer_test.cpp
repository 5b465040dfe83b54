// The WordPiece (BERT) tokenizer: its word splitting rules, greedy longest-match pieces and
// [UNK] on a small written vocabulary, and the prompt tokens of llama.cpp's BERT goldens
// (../shared/testdata/arch/golden/arch-bert-*.json) when that folder is present.
#include "tokenizer/wpm_tokenizer.h"

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_writer.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

const std::string kBertDir = std::string(TACHYON_SHARED_TESTDATA) + "/arch";

using Words = std::vector<std::string>;

TEST(WpmSplit, WhitespaceSeparatesAndPunctuationStandsAlone) {
  EXPECT_EQ(WpmTokenizer::split_words("Once upon a time, in a village."),
            (Words{"once", "upon", "a", "time", ",", "in", "a", "village", "."}));
  EXPECT_EQ(WpmTokenizer::split_words("  \t\n "), Words{});
  EXPECT_EQ(WpmTokenizer::split_words("don't"), (Words{"don", "'", "t"}));
  // ASCII symbols are words of their own; symbols beyond ASCII stay inside words.
  EXPECT_EQ(WpmTokenizer::split_words("a+b=c$"), (Words{"a", "+", "b", "=", "c", "$"}));
  EXPECT_EQ(WpmTokenizer::split_words("x\xc2\xb0y"), Words{"x\xc2\xb0y"});  // U+00B0 DEGREE SIGN (So)
  // Unicode punctuation: U+201C/U+201D quotes, U+3002 ideographic full stop.
  EXPECT_EQ(WpmTokenizer::split_words("\xe2\x80\x9chi\xe2\x80\x9d"), (Words{"\xe2\x80\x9c", "hi", "\xe2\x80\x9d"}));
}

TEST(WpmSplit, CharactersKeepTheFirstCodePointOfTheirDecompositionAndAreLowercased) {
  // "Café" with a precomposed U+00C9-like é (U+00E9) becomes "cafe"; "ÉCOLE" becomes "ecole".
  EXPECT_EQ(WpmTokenizer::split_words("Caf\xc3\xa9 \xc3\x89" "COLE"), (Words{"cafe", "ecole"}));
  // A combining accent written separately (U+0301) is kept, inside the word.
  EXPECT_EQ(WpmTokenizer::split_words("Cafe\xcc\x81"), Words{"cafe\xcc\x81"});
  // Greek capitals lowercase too.
  EXPECT_EQ(WpmTokenizer::split_words("\xce\xa9\xce\x9c"), Words{"\xcf\x89\xce\xbc"});
}

TEST(WpmSplit, CjkIdeographsAreSingleWordsAndControlsAreDropped) {
  // U+4E2D U+6587 (Chinese) next to Latin letters.
  EXPECT_EQ(WpmTokenizer::split_words("ab\xe4\xb8\xad\xe6\x96\x87" "cd"),
            (Words{"ab", "\xe4\xb8\xad", "\xe6\x96\x87", "cd"}));
  // Hiragana is not an ideograph: it stays one word.
  EXPECT_EQ(WpmTokenizer::split_words("\xe3\x81\x82\xe3\x81\x84"), Words{"\xe3\x81\x82\xe3\x81\x84"});
  // U+0007 BEL, U+200B ZERO WIDTH SPACE (Cf), U+0000 and U+FFFD vanish without splitting.
  EXPECT_EQ(WpmTokenizer::split_words(std::string("a\x07" "b\xe2\x80\x8b" "c") + std::string(1, '\0') + "d\xef\xbf\xbd" "e"),
            Words{"abcde"});
  // An invalid byte decodes to U+FFFD and is dropped the same way.
  EXPECT_EQ(WpmTokenizer::split_words("ab\xff" "cd"), Words{"abcd"});
  // U+00A0 NO-BREAK SPACE and U+3000 IDEOGRAPHIC SPACE separate words.
  EXPECT_EQ(WpmTokenizer::split_words("a\xc2\xa0" "b\xe3\x80\x80" "c"), (Words{"a", "b", "c"}));
}

// A small BERT-style vocabulary written to a temporary GGUF file.
class WpmTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<std::string> tokens = {
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",                     // 0-4
        "\xe2\x96\x81" "on", "ce", "\xe2\x96\x81" "once", "\xe2\x96\x81" "up",  // 5-8
        "on", "\xe2\x96\x81" ",", "\xe2\x96\x81" "a", "\xe2\x96\x81" ".",    // 9-12
        "\xe2\x96\x81" "ti", "me", "\xe2\x96\x81" "time", "\xe2\x96\x81" "caf", "e",  // 13-17
        "\xe2\x96\x81" "\xe4\xb8\xad"};                                   // 18
    std::vector<int32_t> types(tokens.size(), 1);
    for (int i = 0; i <= 4; ++i) types[size_t(i)] = 3;  // control
    GgufWriter w;
    w.set_string("general.architecture", "bert");
    w.set_string("tokenizer.ggml.model", "bert");
    w.set_string("tokenizer.ggml.pre", "default");
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_i32_array("tokenizer.ggml.token_type", types);
    w.set_u32("tokenizer.ggml.unknown_token_id", 1);
    w.set_u32("tokenizer.ggml.bos_token_id", 2);
    w.set_u32("tokenizer.ggml.seperator_token_id", 3);
    w.set_u32("tokenizer.ggml.padding_token_id", 0);
    const float dummy = 0;
    ASSERT_TRUE(w.add_tensor("dummy", GgmlType::F32, {1}, &dummy, sizeof(dummy)).ok());
    path_ = (fs::temp_directory_path() / ("wpm-vocab-" + std::to_string(::getpid()) + ".gguf")).string();
    ASSERT_TRUE(w.write(path_).ok());
    auto file = GgufFile::open(path_);
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto tokenizer = Tokenizer::from_gguf(**file);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
    tokenizer_ = std::move(*tokenizer);
  }
  void TearDown() override { fs::remove(path_); }

  std::string path_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(WpmTokenizerTest, GreedyLongestMatchWithClsAndSep) {
  // "Once" matches the whole-word piece; "upon" splits into ▁up + on; "time" is one piece.
  EXPECT_EQ(tokenizer_->encode("Once upon a time.", true, true), (std::vector<int32_t>{2, 7, 8, 9, 11, 15, 12, 3}));
  EXPECT_EQ(tokenizer_->encode("Once", false, true), (std::vector<int32_t>{7}));
  EXPECT_EQ(tokenizer_->encode("", true, true), (std::vector<int32_t>{2, 3}));
}

TEST_F(WpmTokenizerTest, AWordWithAnUnmatchedPositionBecomesUnk) {
  // "oncex": ▁once matches, then "x" matches nothing, so the whole word is [UNK].
  EXPECT_EQ(tokenizer_->encode("oncex a", false, true), (std::vector<int32_t>{1, 11}));
  EXPECT_EQ(tokenizer_->encode("Caf\xc3\xa9", false, true), (std::vector<int32_t>{16, 17}));
  EXPECT_EQ(tokenizer_->encode("\xe4\xb8\xad\xe4\xb8\xad", false, true), (std::vector<int32_t>{18, 18}));
}

TEST_F(WpmTokenizerTest, SpecialTokensInTextAreParsedOnlyWhenAsked) {
  EXPECT_EQ(tokenizer_->encode("a [MASK] a", false, true), (std::vector<int32_t>{11, 4, 11}));
  // Without parse_special, "[MASK]" is plain text: "[" has no piece here, so [UNK]s.
  EXPECT_EQ(tokenizer_->encode("a [MASK] a", false, false), (std::vector<int32_t>{11, 1, 1, 1, 11}));
}

TEST_F(WpmTokenizerTest, DecodeJoinsPiecesAndDropsClsSep) {
  const auto ids = tokenizer_->encode("Once upon a time, a caf\xc3\xa9.", true, true);
  EXPECT_EQ(tokenizer_->decode(ids, true), "once upon a time, a cafe.");
  EXPECT_EQ(tokenizer_->decode(ids, false, true), "[CLS] once upon a time, a cafe.[SEP]");
  EXPECT_EQ(tokenizer_->token_to_piece(8), " up");
  EXPECT_EQ(tokenizer_->token_to_piece(9), "on");
  EXPECT_TRUE(tokenizer_->add_bos());
  EXPECT_EQ(tokenizer_->bos_id(), 2);
}

TEST(WpmGolden, PromptTokensMatchLlamaCpp) {
  const fs::path model = kBertDir + "/models/arch-bert-128-F32.gguf";
  if (!fs::exists(model)) GTEST_SKIP() << model << " is absent: the BERT prompt tokens are not checked";
  auto file = GgufFile::open(model.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tokenizer = Tokenizer::from_gguf(**file);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message;
  int checked = 0;
  for (const char* pid : {"p1", "p2"}) {
    const fs::path golden = kBertDir + "/golden/arch-bert-128-F32." + pid + ".json";
    if (!fs::exists(golden)) continue;
    std::ifstream in(golden);
    const nlohmann::json g = nlohmann::json::parse(in);
    const auto expected = g["prompt_tokens"].get<std::vector<int32_t>>();
    const auto ids = (*tokenizer)->encode(g["prompt"].get<std::string>(), true, true);
    EXPECT_EQ(ids, expected) << pid;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace
}  // namespace tachyon
