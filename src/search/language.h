#pragma once
// A page's language when its source does not declare one: the language whose most common
// function words ("the", "and", "der", "und", "le", "et", ...) occur most often among the
// first 2,000 words, for English, German, French, Spanish, Italian, Portuguese and Dutch;
// "en" when none reaches 5 occurrences (short or unrecognized text). Pure, any thread.
#include <string>
#include <string_view>

namespace tachyon::search {

std::string detect_language(std::string_view text);

}  // namespace tachyon::search
