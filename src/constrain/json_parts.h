#pragma once
// JsonParts: the grammar rules every JSON language shares (strings, numbers, literals, white
// space, any value), added to one GrammarBuilder on first use and reused after.
//
// Output shape: no white space anywhere except at most one space after ':' and after ','
// ({"a": 1, "b": [1, 2]} or {"a":1,"b":[1,2]}); bounded so a model cannot loop on spaces.
// Strings: raw UTF-8 (validated byte by byte, no surrogates or overlongs), no raw control
// characters, the JSON escapes, \uXXXX with surrogates only as a valid high-low pair.
// Numbers: at most 16 integer digits, 16 fraction digits and a 2-digit exponent, so every
// number parses as int64 or a finite double.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/grammar.h"
#include "util/result.h"

namespace tachyon {

class JsonParts {
 public:
  using Symbol = GrammarBuilder::Symbol;
  using Sequence = GrammarBuilder::Sequence;

  // The largest magnitude an integer may have: 16 digits.
  static constexpr int64_t kMaxInteger = 9'999'999'999'999'999;
  // Nesting of arbitrary values (json_object, untyped schemas, extra properties).
  static constexpr int kAnyValueDepth = 32;

  explicit JsonParts(GrammarBuilder& builder) : b_(builder) {}

  Symbol ws();           // an optional single space
  Symbol string_char();  // one character inside a string literal
  // A string literal of min..max characters (max < 0: unbounded).
  Symbol string(int64_t min, int64_t max);
  // A property name that is none of `names`: '"', printable ASCII without '"' or '\', '"'.
  Symbol key_not_in(const std::vector<std::string>& names);
  // A JSON number; non_negative forbids the minus sign.
  Symbol number(bool non_negative);
  // The decimal integers in [lo, hi] (clamped to ±kMaxInteger), no leading zeros, no "-0".
  Result<Symbol> integer(int64_t lo, int64_t hi);
  Symbol literal(std::string_view text);
  Symbol boolean();
  Symbol null();
  // Any JSON value / object, with objects and arrays nested at most `depth` deep.
  Symbol any_value(int depth = kAnyValueDepth);
  Symbol any_object(int depth = kAnyValueDepth);

  // '[' items ']' with min..max items (max < 0: unbounded), separated by ',' and a space.
  Symbol array_of(Symbol item, int64_t min, int64_t max);

 private:
  void fixed_width_range(const std::string& lo, const std::string& hi, Sequence prefix,
                         std::vector<Sequence>& out);
  void non_negative_range(int64_t lo, int64_t hi, Sequence prefix, std::vector<Sequence>& out);
  Symbol digit();

  GrammarBuilder& b_;
  std::optional<Symbol> ws_, string_char_, number_[2], boolean_, null_, digit_;
  std::map<std::pair<int64_t, int64_t>, Symbol> strings_;
  std::map<std::pair<int64_t, int64_t>, Symbol> integers_;
  std::map<int, Symbol> any_values_, any_objects_, any_arrays_;
};

}  // namespace tachyon
