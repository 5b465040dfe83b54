// Pre-tokenizer regex families: the splits llama.cpp's regexes produce on small inputs.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/utf8.h"

namespace tachyon {
namespace {

std::vector<std::string> split(PreTokenizerType type, std::string_view text) {
  auto pre = PreTokenizer::create(type);
  EXPECT_TRUE(pre.ok());
  return (*pre)->split(text);
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Llama3GroupsDigitsInThrees) {
  EXPECT_EQ(split(PreTokenizerType::llama3, "Hello world 1234567"),
            (Words{"Hello", " world", " ", "123", "456", "7"}));
  EXPECT_EQ(split(PreTokenizerType::llama3, "I'LL go!!\n\n"), (Words{"I", "'LL", " go", "!!\n\n"}));
}

TEST(PreTokenizer, Gpt2KeepsUnmatchedWhitespace) {
  EXPECT_EQ(split(PreTokenizerType::gpt2, "a  b\tc"), (Words{"a", " ", " b", "\t", "c"}));
  EXPECT_EQ(split(PreTokenizerType::gpt2, "it's 42"), (Words{"it", "'s", " 42"}));
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(split(PreTokenizerType::qwen2, "x 123"), (Words{"x", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, NextLineCountsAsWhitespace) {
  // U+0085 is whitespace for llama.cpp (not for PCRE2's \s).
  EXPECT_EQ(split(PreTokenizerType::gpt2, "a\xC2\x85\xC2\x85" "b"),
            (Words{"a", "\xC2\x85", "\xC2\x85", "b"}));
}

TEST(PreTokenizer, DeepseekDollarIsEndOfTextOnly) {
  EXPECT_EQ(split(PreTokenizerType::deepseek_llm, "ab  \n"), (Words{"ab", "  ", "\n"}));
}

TEST(PreTokenizer, InvalidBytesBecomeReplacementCharacters) {
  const auto words = split(PreTokenizerType::gpt2, "a\xFF");
  std::string joined;
  for (const auto& w : words) joined += w;
  EXPECT_EQ(joined, "a\xEF\xBF\xBD");
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(utf8_incomplete_tail("abc"), 0u);
  EXPECT_EQ(utf8_incomplete_tail("a\xF0\x9F"), 2u);
  EXPECT_EQ(utf8_incomplete_tail("a\xF0\x9F\x98\x81"), 0u);
  EXPECT_EQ(utf8_incomplete_tail("a\xC3"), 1u);
  EXPECT_EQ(utf8_incomplete_tail("a\x80"), 0u);
}

TEST(Utf8, ByteAlphabetIsABijection) {
  for (int b = 0; b < 256; ++b) {
    const auto cps = utf8_to_codepoints(byte_to_bpe_char(static_cast<uint8_t>(b)));
    ASSERT_EQ(cps.size(), 1u);
    EXPECT_EQ(bpe_codepoint_to_byte(cps[0]), static_cast<uint8_t>(b));
  }
  EXPECT_EQ(byte_to_bpe_char(' '), "\xC4\xA0");  // 'Ġ'
}

}  // namespace
}  // namespace tachyon
