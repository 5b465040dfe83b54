// Regular expressions: the languages they accept and reject, their errors, random walks.
#include "constrain/regex_compiler.h"

#include <chrono>

#include <gtest/gtest.h>

#include "constrain/constrain_test_util.h"
#include "constrain/regex_oracle.h"
#include "constrain/synthetic_vocabulary.h"

namespace tachyon {
namespace {

using constrain_test::accepts;
using constrain_test::accepts_prefix;

std::shared_ptr<const Grammar> regex(std::string_view pattern) {
  auto grammar = compile_regex(pattern);
  EXPECT_TRUE(grammar.ok()) << pattern << ": " << (grammar.ok() ? "" : grammar.error().message);
  return grammar.ok() ? *grammar : nullptr;
}

std::string regex_error(std::string_view pattern) {
  auto grammar = compile_regex(pattern);
  EXPECT_FALSE(grammar.ok()) << pattern;
  if (grammar.ok()) return "";
  EXPECT_EQ(grammar.error().kind, ErrorKind::InvalidArgument);
  return grammar.error().message;
}

TEST(Regex, Literals) {
  auto g = regex("abc");
  EXPECT_TRUE(accepts(g, "abc"));
  EXPECT_FALSE(accepts(g, "ab"));
  EXPECT_TRUE(accepts_prefix(g, "ab"));
  EXPECT_FALSE(accepts(g, "abcd"));
  EXPECT_FALSE(accepts_prefix(g, "abx"));
  EXPECT_TRUE(accepts(regex(R"(a\.b\*\(\)\[\]\{\}\|\\\/\^\$\?\+)"), R"(a.b*()[]{}|\/^$?+)"));
  EXPECT_TRUE(accepts(regex(R"(\t\n\x41\u00e9\u{1F600}\0)"), std::string("\t\nA\xc3\xa9\xf0\x9f\x98\x80\0", 10)));
}

TEST(Regex, ClassesAndDot) {
  auto g = regex(R"([a-cx-z_]+)");
  EXPECT_TRUE(accepts(g, "abz_y"));
  EXPECT_FALSE(accepts(g, "abd"));
  auto negated = regex(R"([^a-z\d]+)");
  EXPECT_TRUE(accepts(negated, "AB-\xc3\xa9"));
  EXPECT_FALSE(accepts(negated, "Ab"));
  EXPECT_FALSE(accepts(negated, "A1"));
  EXPECT_FALSE(accepts_prefix(negated, "\xff"));  // only valid UTF-8 comes out of a negation
  auto escapes = regex(R"(\d\w\s\D\W\S)");
  EXPECT_TRUE(accepts(escapes, "7_ x-y"));
  EXPECT_FALSE(accepts(escapes, "a_ x-y"));
  auto dot = regex("a.c");
  EXPECT_TRUE(accepts(dot, "abc"));
  EXPECT_TRUE(accepts(dot, "a\xe4\xb8\xad" "c"));
  EXPECT_TRUE(accepts(dot, "a\xf0\x9f\x98\x80" "c"));
  EXPECT_FALSE(accepts(dot, "a\nc"));
  EXPECT_FALSE(accepts_prefix(dot, "a\xe4\xb8" "c"));
  EXPECT_FALSE(accepts_prefix(dot, "a\xc0"));
  auto unicode = regex("[à-ÿ]{2}中");
  EXPECT_TRUE(accepts(unicode, "éü中"));
  EXPECT_FALSE(accepts(unicode, "eü中"));
  auto in_class = regex(R"([\]\-\\.]+)");
  EXPECT_TRUE(accepts(in_class, R"(]-\.)"));
  EXPECT_FALSE(accepts(in_class, "a"));
}

TEST(Regex, GroupsAlternationQuantifiers) {
  auto g = regex(R"((ab|cd)+(?:x|y)?z{2,3}(?<tail>q){0,1})");
  EXPECT_TRUE(accepts(g, "abzz"));
  EXPECT_TRUE(accepts(g, "abcdabxzzz"));
  EXPECT_TRUE(accepts(g, "cdyzzq"));
  EXPECT_FALSE(accepts(g, "zz"));
  EXPECT_FALSE(accepts(g, "abz"));
  EXPECT_FALSE(accepts(g, "abzzzz"));
  auto counts = regex(R"(a{3}b{2,}c{1,2}?d*?e+?)");
  EXPECT_TRUE(accepts(counts, "aaabbcde"));
  EXPECT_TRUE(accepts(counts, "aaabbbbccddee"));
  EXPECT_FALSE(accepts(counts, "aabbce"));
  auto literal_brace = regex(R"(a{,2}x{)");
  EXPECT_TRUE(accepts(literal_brace, "a{,2}x{"));
  auto alternation = regex("^cat$|^dog|fish$");
  EXPECT_TRUE(accepts(alternation, "cat"));
  EXPECT_TRUE(accepts(alternation, "dog"));
  EXPECT_FALSE(accepts(alternation, "catdog"));
  auto empty_branch = regex("a(|b)c");
  EXPECT_TRUE(accepts(empty_branch, "ac"));
  EXPECT_TRUE(accepts(empty_branch, "abc"));
}

TEST(Regex, NullableRepeatsTerminate) {
  auto g = regex(R"((a*)*b(x?y?)+c(|d){2,})");
  EXPECT_TRUE(accepts(g, "bc"));
  EXPECT_TRUE(accepts(g, "aaabxyyxcdd"));
  EXPECT_FALSE(accepts(g, "abz"));
  EXPECT_TRUE(accepts(regex("(a?){3}"), ""));
  EXPECT_TRUE(accepts(regex("(a?){3}"), "aa"));
  EXPECT_FALSE(accepts(regex("(a?){3}"), "aaaa"));
  EXPECT_TRUE(accepts(regex("()*"), ""));
}

TEST(Regex, Errors) {
  EXPECT_NE(regex_error(R"((a)\1)").find("backreference"), std::string::npos);
  EXPECT_NE(regex_error(R"((?<n>a)\k<n>)").find("backreference"), std::string::npos);
  EXPECT_NE(regex_error("a(?=b)").find("lookahead"), std::string::npos);
  EXPECT_NE(regex_error("a(?!b)").find("lookahead"), std::string::npos);
  EXPECT_NE(regex_error("(?<=a)b").find("lookbehind"), std::string::npos);
  EXPECT_NE(regex_error(R"(\bword)").find("word boundaries"), std::string::npos);
  EXPECT_NE(regex_error("(?i)abc").find("flags"), std::string::npos);
  EXPECT_NE(regex_error(R"(\p{L})").find("property"), std::string::npos);
  EXPECT_NE(regex_error("a++").find("possessive"), std::string::npos);
  EXPECT_NE(regex_error("(ab").find("missing ')'"), std::string::npos);
  EXPECT_NE(regex_error("ab)").find("unmatched"), std::string::npos);
  EXPECT_NE(regex_error("[ab").find("missing ']'"), std::string::npos);
  EXPECT_NE(regex_error("[z-a]").find("out of order"), std::string::npos);
  EXPECT_NE(regex_error("*a").find("nothing to repeat"), std::string::npos);
  EXPECT_NE(regex_error("a**").find("nothing to repeat"), std::string::npos);
  EXPECT_NE(regex_error("a{3,2}").find("n > m"), std::string::npos);
  EXPECT_NE(regex_error("a{1001}").find("1000"), std::string::npos);
  EXPECT_NE(regex_error("a^b").find("'^'"), std::string::npos);
  EXPECT_NE(regex_error("a$b").find("'$'"), std::string::npos);
  EXPECT_NE(regex_error("abc\\").find("backslash"), std::string::npos);
  EXPECT_NE(regex_error("\xff").find("UTF-8"), std::string::npos);
  EXPECT_NE(regex_error(R"(\q)").find("unknown escape"), std::string::npos);
  EXPECT_NE(regex_error("[^\\x00-\\u{10FFFF}]").find("matches nothing"), std::string::npos);
  EXPECT_NE(regex_error(std::string(200, '(') + std::string(200, ')')).find("nest"), std::string::npos);
}

TEST(Regex, HostilePatternsAreCheap) {
  const auto start = std::chrono::steady_clock::now();
  auto nested_counts = compile_regex("((a{1000}){1000}){1000}");
  EXPECT_TRUE(nested_counts.ok());  // counts multiply at run time, not in the grammar's size
  EXPECT_FALSE(compile_regex(std::string(100000, 'a')).ok());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
}

// Random walks over a byte vocabulary and a synthetic one; every finished output must match the
// same pattern under PCRE2.
void walk_regex(const char* pattern, const std::shared_ptr<const TokenVocabulary>& vocab, int n_seeds) {
  auto grammar = regex(pattern);
  ASSERT_TRUE(grammar);
  auto cache = std::make_shared<MaskCache>(grammar, vocab);
  int n_finished = 0;
  for (int seed = 0; seed < n_seeds; ++seed) {
    GrammarMatcher matcher(cache);
    const auto walk = constrain_test::random_walk(matcher, seed, 400, 5);
    if (!walk.stopped && !walk.ended_by_eog) continue;
    ++n_finished;
    EXPECT_TRUE(constrain_test::pcre_matches(pattern, walk.text, /*whole=*/true)) << pattern << " seed " << seed << ": " << walk.text;
  }
  EXPECT_GE(n_finished, n_seeds / 2) << pattern;
}

TEST(Regex, RandomWalksMatch) {
  const auto synthetic = [] {
    auto v = constrain_test::make_synthetic_vocabulary(3000, 11);
    return std::make_shared<const TokenVocabulary>(std::move(v.pieces), std::move(v.eog_ids));
  }();
  for (const char* pattern :
       {R"(\d{4}-\d{2}-\d{2})", R"(\+?1? ?\(?\d{3}\)?[ -]?\d{3}-\d{4})", R"((yes|no|maybe)( [a-z]{1,5}){0,3}\.)",
        R"([A-Z][a-z]+(, [A-Z][a-z]+)*)", R"(0x[0-9a-fA-F]{1,8})"}) {
    walk_regex(pattern, constrain_test::byte_vocabulary(), 100);
    walk_regex(pattern, synthetic, 100);
  }
}

}  // namespace
}  // namespace tachyon
