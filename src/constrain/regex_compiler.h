#pragma once
// Regular expressions to grammar rules (see regex_parser.h for the supported syntax).
#include <memory>
#include <string_view>

#include "constrain/grammar.h"
#include "util/result.h"

namespace tachyon {

// How a regex's characters are written out.
struct RegexTarget {
  // Each character as it appears inside a JSON string literal: '"', '\' and control characters
  // as their escapes (\", \\, \n, \u001f ...), everything else as raw UTF-8.
  bool json_string = false;
  // JSON Schema `pattern` semantics: a branch without ^ may be preceded, and one without $
  // followed, by any characters (`any_char`, repeated). Otherwise the whole text must match.
  bool search = false;
  GrammarBuilder::Symbol any_char{};
};

// Adds the rules for `pattern` to `builder`; the returned symbol matches its language.
Result<GrammarBuilder::Symbol> emit_regex(GrammarBuilder& builder, std::string_view pattern,
                                          const RegexTarget& target);

// The grammar of `pattern` as a whole output (^ and $ implied; writing them changes nothing).
// Errors (InvalidArgument) name what is malformed or unsupported, with its offset.
Result<std::shared_ptr<const Grammar>> compile_regex(std::string_view pattern);

}  // namespace tachyon
