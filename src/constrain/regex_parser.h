#pragma once
// Parses a regular expression (a practical ECMAScript/PCRE subset) into a small syntax tree over
// code points. Supported: literals (UTF-8), escapes (\d \w \s \D \W \S \t \n \r \f \v \0 \xHH
// \uHHHH \u{H..} and escaped punctuation; \s is ASCII white space only), classes [...] with
// ranges and negation, '.' (any character but \n and \r), groups
// ((...), (?:...), (?<name>...)), alternation, quantifiers * + ? {n} {n,} {n,m} (a lazy '?'
// after one is accepted and means the same language), and ^ / $ at the ends of the pattern or of
// a top-level alternative. Backreferences, lookaround, word boundaries, inline flags, atomic
// groups, possessive quantifiers and \p{...} are errors, as is anything malformed.
#include <string_view>
#include <vector>

#include "constrain/codepoint_set.h"
#include "util/result.h"

namespace tachyon {

struct RegexNode {
  enum class Type { Empty, Set, Concat, Alternation, Repeat };
  Type type = Type::Empty;
  CodepointSet set;           // Set: the code points one character may be
  std::vector<int> children;  // Concat, Alternation: node indices; Repeat: one child
  int min = 0;                // Repeat bounds; max < 0 means unbounded
  int max = 0;
};

struct RegexAst {
  // One top-level alternative and whether it was anchored by ^ (start) and $ (end).
  struct Branch {
    int node = 0;
    bool anchored_start = false;
    bool anchored_end = false;
  };
  std::vector<RegexNode> nodes;
  std::vector<Branch> branches;
};

// Limits that keep hostile patterns cheap.
inline constexpr size_t kMaxRegexBytes = 64 * 1024;
inline constexpr int kMaxRegexNesting = 128;
inline constexpr int kMaxRegexRepeat = 1000;

Result<RegexAst> parse_regex(std::string_view pattern);

}  // namespace tachyon
