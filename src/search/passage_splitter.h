#pragma once
// Pages become passages, the unit the index ranks: runs of whole paragraphs of at most
// `max_words` words. A paragraph longer than that is cut at sentence ends, and a sentence
// longer than that at `max_words`. Pure functions, callable from any thread.
#include <string>
#include <string_view>
#include <vector>

namespace tachyon::search {

struct PassageLimits {
  size_t max_words = 180;
};

// The passages of `text` (paragraphs separated by blank lines), in order; paragraphs inside a
// passage stay separated by a blank line. Empty for text without words.
std::vector<std::string> split_passages(std::string_view text, PassageLimits limits = {});

}  // namespace tachyon::search
