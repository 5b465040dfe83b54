#include "frontend/stop_matcher.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

// Pushes every piece, concatenating what is emitted; flushes at the end unless stopped.
struct StreamResult {
  std::string text;
  bool stopped = false;
};

StreamResult stream(StopMatcher& matcher, const std::vector<std::string>& pieces) {
  StreamResult result;
  for (const std::string& piece : pieces) {
    StopMatcher::Output out = matcher.push(piece);
    result.text += out.text;
    if (out.stopped) {
      result.stopped = true;
      return result;
    }
  }
  result.text += matcher.flush();
  return result;
}

TEST(StopMatcher, StopWithinOnePiece) {
  StopMatcher matcher({"STOP"});
  StopMatcher::Output out = matcher.push("hello STOP world");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "hello ");
  // Later pieces are swallowed.
  StopMatcher::Output after = matcher.push("more");
  EXPECT_TRUE(after.stopped);
  EXPECT_EQ(after.text, "");
  EXPECT_EQ(matcher.flush(), "");
}

TEST(StopMatcher, StopSpanningThreePieces) {
  StopMatcher matcher({"<|end|>"});
  StopMatcher::Output a = matcher.push("answer <|");
  EXPECT_FALSE(a.stopped);
  EXPECT_EQ(a.text, "answer ");  // "<|" could begin the stop: held back
  StopMatcher::Output b = matcher.push("en");
  EXPECT_FALSE(b.stopped);
  EXPECT_EQ(b.text, "");
  StopMatcher::Output c = matcher.push("d|> tail");
  EXPECT_TRUE(c.stopped);
  EXPECT_EQ(c.text, "");
}

TEST(StopMatcher, HeldBackTextIsReleasedWhenItStopsMatching) {
  StopMatcher matcher({"<|end|>"});
  EXPECT_EQ(matcher.push("a <|e").text, "a ");
  StopMatcher::Output out = matcher.push("x");
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.text, "<|ex");
}

TEST(StopMatcher, OverlappingPrefix) {
  // After "a" is held, the next "a" breaks that candidate but itself may begin "ab".
  StopMatcher matcher({"ab"});
  EXPECT_EQ(matcher.push("a").text, "");
  StopMatcher::Output second = matcher.push("a");
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.text, "a");
  StopMatcher::Output third = matcher.push("b");
  EXPECT_TRUE(third.stopped);
  EXPECT_EQ(third.text, "");

  StopMatcher whole({"ab"});
  StopMatcher::Output out = whole.push("aab");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "a");
}

TEST(StopMatcher, SelfOverlappingStop) {
  StopMatcher matcher({"aab"});
  StreamResult result = stream(matcher, {"a", "a", "a", "b", "c"});
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.text, "a");
}

TEST(StopMatcher, SeveralStopsEarliestWins) {
  StopMatcher matcher({"world", "lo w", "xyz"});
  StreamResult result = stream(matcher, {"hel", "lo wor", "ld"});
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.text, "hel");

  StopMatcher other({"\n\n", "User:"});
  StreamResult second = stream(other, {"Sure.", " Us", "er:", " hi"});
  EXPECT_TRUE(second.stopped);
  EXPECT_EQ(second.text, "Sure. ");
}

TEST(StopMatcher, HoldsBackForTheLongestPossibleStop) {
  StopMatcher matcher({"x", "abc"});
  StopMatcher::Output out = matcher.push("zab");
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.text, "z");
}

TEST(StopMatcher, FlushReleasesHeldTextWithoutFalseHoldBack) {
  StopMatcher matcher({"###"});
  StopMatcher::Output out = matcher.push("result ##");
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(out.text, "result ");
  EXPECT_EQ(matcher.flush(), "##");
  EXPECT_EQ(matcher.flush(), "");

  // Text that cannot begin a stop is never held.
  StopMatcher plain({"###"});
  EXPECT_EQ(plain.push("nothing to hold").text, "nothing to hold");
  EXPECT_EQ(plain.flush(), "");
}

TEST(StopMatcher, NoStopsPassesEverythingThrough) {
  StopMatcher matcher({"", ""});
  StreamResult result = stream(matcher, {"a", "b", "c"});
  EXPECT_FALSE(result.stopped);
  EXPECT_EQ(result.text, "abc");
}

TEST(StopMatcher, Utf8MultiByte) {
  // "終わり" (three 3-byte characters) as the stop, arriving one character at a time.
  StopMatcher matcher({"終わり"});
  StreamResult result = stream(matcher, {"こんにちは", "。終", "わ", "り", "です"});
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.text, "こんにちは。");

  // A stop that shares its first character with the text but then differs.
  StopMatcher other({"éclair"});
  StreamResult second = stream(other, {"café", "é", "t", "é"});
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.text, "caféété");
}

TEST(StopMatcher, IncompleteUtf8SequenceIsHeldUntilComplete) {
  const std::string snowman = "\xE2\x98\x83";  // U+2603, 3 bytes
  StopMatcher matcher({"STOP"});
  std::string first_piece = "a";
  first_piece += snowman[0];
  EXPECT_EQ(matcher.push(first_piece).text, "a");
  EXPECT_EQ(matcher.push(snowman.substr(1, 1)).text, "");
  EXPECT_EQ(matcher.push(snowman.substr(2, 1)).text, snowman);
  // At the end, even an incomplete sequence is released.
  EXPECT_EQ(matcher.push("\xF0\x9F").text, "");
  EXPECT_EQ(matcher.flush(), "\xF0\x9F");
}

}  // namespace
}  // namespace tachyon
