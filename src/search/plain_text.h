#pragma once
// Small text operations shared by the readers, the splitter and the index: UTF-8 checks,
// whitespace, words. Pure functions, callable from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tachyon::search {

// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// Appends a Unicode code point as UTF-8 (U+FFFD for one outside the range or a surrogate).
void append_utf8(std::string& out, uint32_t code_point);

// Runs of whitespace become one space; leading and trailing whitespace is dropped.
std::string collapse_spaces(std::string_view text);

// Paragraphs (separated by one or more blank lines), each with its whitespace collapsed;
// empty ones dropped.
std::vector<std::string> split_paragraphs(std::string_view text);

// Number of whitespace-separated words.
size_t count_words(std::string_view text);

// The first `n_words` words of `text` (its own spacing kept), with "…" appended when cut.
std::string first_words(std::string_view text, size_t n_words);

// Lower-case ASCII letters and digits runs, the words a query is made of (bytes >= 0x80 are
// kept inside words, so non-English text still yields terms).
std::vector<std::string> query_terms(std::string_view text);

}  // namespace tachyon::search
