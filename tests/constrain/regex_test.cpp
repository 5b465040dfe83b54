// Regular expressions: the languages they accept and reject, their errors, random walks.
#include "constrain/regex_compiler.h"

#include <chrono>
#include <regex>

#include <gtest/gtest.h>

#include "constrain/constrain_test_util.h"

namespace tachyon {
namespace {

using constrain_test::accepts;
using constrain_test::accepts_prefix;

std::shared_ptr<const Grammar> regex(std::string_view pattern) {
  auto grammar = compile_regex(pattern);
  EXPECT_TRUE(grammar.ok()) << pattern << ": " << (grammar.ok() ? "" : grammar.error().message);
  return grammar.ok() ? *grammar : nullptr;
}

TEST(Regex, Literals) {
  auto g = regex("abc");
  EXPECT_TRUE(accepts(g, "abc"));
  EXPECT_FALSE(accepts(g, "ab"));
  EXPECT_TRUE(accepts_prefix(g, "ab"));
  EXPECT_FALSE(accepts(g, "abcd"));
  EXPECT_FALSE(accepts_prefix(g, "abx"));
}

TEST(Regex, Date) {
  auto g = regex(R"(^\d{4}-\d{2}-\d{2}$)");
  EXPECT_TRUE(accepts(g, "2024-01-31"));
  EXPECT_FALSE(accepts(g, "2024-1-31"));
  EXPECT_FALSE(accepts(g, "2024-01-311"));
}

}  // namespace
}  // namespace tachyon
