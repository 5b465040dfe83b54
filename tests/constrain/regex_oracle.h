#pragma once
// PCRE2 as the tests' independent regex oracle (std::regex recurses per character and overflows
// the stack on long outputs under the sanitizers).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace tachyon::constrain_test {

// Whether `subject` matches `pattern`: anywhere in it (search) or as a whole.
inline bool pcre_matches(std::string_view pattern, std::string_view subject, bool whole) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const std::string full = whole ? "^(?:" + std::string(pattern) + ")$" : std::string(pattern);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(full.data()), full.size(),
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &error_code, &error_offset, nullptr);
  if (code == nullptr) throw std::runtime_error("bad oracle pattern: " + full);
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(code, nullptr);
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, match, nullptr);
  pcre2_match_data_free(match);
  pcre2_code_free(code);
  return rc >= 0;
}

}  // namespace tachyon::constrain_test
