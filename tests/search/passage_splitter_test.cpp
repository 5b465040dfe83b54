// Splitting pages into passages at paragraph boundaries, with bounded size.
#include <gtest/gtest.h>

#include "search/passage_splitter.h"
#include "search/plain_text.h"

namespace tachyon::search {
namespace {

std::string words(size_t n, const std::string& word = "w") {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + word;
  return out;
}

TEST(PassageSplitter, GroupsWholeParagraphsUpToTheLimit) {
  const std::string text = words(60, "a") + "\n\n" + words(60, "b") + "\n\n" + words(60, "c") + "\n\n" + words(60, "d");
  const auto passages = split_passages(text, {.max_words = 150});
  ASSERT_EQ(passages.size(), 2u);
  EXPECT_EQ(passages[0], words(60, "a") + "\n\n" + words(60, "b"));
  EXPECT_EQ(passages[1], words(60, "c") + "\n\n" + words(60, "d"));
}

TEST(PassageSplitter, LongParagraphsAreCutAtSentencesThenWords) {
  std::string sentences;
  for (int i = 0; i < 10; ++i) sentences += (i ? " " : "") + words(29, "s") + ".";
  const auto by_sentence = split_passages(sentences, {.max_words = 100});
  ASSERT_EQ(by_sentence.size(), 4u);  // 3 + 3 + 3 + 1 sentences of 30 words
  for (const std::string& p : by_sentence) {
    EXPECT_LE(count_words(p), 100u);
    EXPECT_EQ(p.back(), '.');
  }
  const auto by_word = split_passages(words(250), {.max_words = 100});
  ASSERT_EQ(by_word.size(), 3u);
  EXPECT_EQ(count_words(by_word[0]), 100u);
  EXPECT_EQ(count_words(by_word[2]), 50u);
}

TEST(PassageSplitter, NoWordIsLostOrInvented) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += words(size_t(i * 7 % 45 + 1), "x" + std::to_string(i)) + (i % 3 ? ". " : "\n\n");
  size_t total = 0;
  for (const std::string& p : split_passages(text, {.max_words = 50})) {
    EXPECT_LE(count_words(p), 50u);
    total += count_words(p);
  }
  EXPECT_EQ(total, count_words(text));
}

TEST(PassageSplitter, EmptyTextHasNoPassages) {
  EXPECT_TRUE(split_passages("").empty());
  EXPECT_TRUE(split_passages(" \n\n \t\n").empty());
  EXPECT_EQ(split_passages("one\n  \ntwo"), std::vector<std::string>{"one\n\ntwo"});
}

TEST(PlainText, FirstWordsAndParagraphs) {
  EXPECT_EQ(first_words("a b  c d", 2), "a b…");
  EXPECT_EQ(first_words("a b", 5), "a b");
  EXPECT_EQ(split_paragraphs("p1 line\nmore\n\n\n  p2  \n \n"), (std::vector<std::string>{"p1 line more", "p2"}));
  EXPECT_EQ(query_terms("What's a HACKER, café?"), (std::vector<std::string>{"what", "s", "a", "hacker", "café"}));
}

}  // namespace
}  // namespace tachyon::search
