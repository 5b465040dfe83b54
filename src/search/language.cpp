#include "search/language.h"

#include <array>
#include <unordered_map>

#include "search/plain_text.h"

namespace tachyon::search {

std::string detect_language(std::string_view text) {
  struct Language {
    const char* code;
    std::array<std::string_view, 8> words;
  };
  // Words frequent in one language and rare as words in the others.
  static const std::array<Language, 7> kLanguages = {{
      {"en", {"the", "and", "of", "to", "is", "that", "with", "was"}},
      {"de", {"der", "die", "und", "das", "ist", "nicht", "ein", "mit"}},
      {"fr", {"le", "les", "et", "des", "est", "une", "dans", "pour"}},
      {"es", {"el", "los", "las", "y", "es", "una", "por", "con"}},
      {"it", {"il", "di", "che", "della", "sono", "una", "per", "gli"}},
      {"pt", {"o", "os", "e", "do", "da", "uma", "não", "com"}},
      {"nl", {"de", "het", "een", "en", "van", "niet", "ik", "dat"}},
  }};
  static const std::unordered_map<std::string_view, std::vector<size_t>> kIndex = [] {
    std::unordered_map<std::string_view, std::vector<size_t>> index;
    for (size_t l = 0; l < kLanguages.size(); ++l)
      for (std::string_view w : kLanguages[l].words) index[w].push_back(l);
    return index;
  }();
  std::array<int, 7> counts{};
  const std::vector<std::string> words = query_terms(text.substr(0, 20000));
  for (size_t i = 0; i < words.size() && i < 2000; ++i) {
    auto it = kIndex.find(words[i]);
    if (it == kIndex.end()) continue;
    for (size_t l : it->second) ++counts[l];
  }
  size_t best = 0;
  for (size_t l = 1; l < counts.size(); ++l)
    if (counts[l] > counts[best]) best = l;
  return counts[best] >= 5 ? kLanguages[best].code : "en";
}

}  // namespace tachyon::search
