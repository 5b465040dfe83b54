#include "search/passage_splitter.h"

#include "search/plain_text.h"

namespace tachyon::search {
namespace {

// Sentences of a paragraph: cut after '.', '!' or '?' (and closing quotes) followed by a space.
std::vector<std::string> sentences_of(const std::string& paragraph) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i + 1 < paragraph.size(); ++i) {
    const char c = paragraph[i];
    if ((c == '.' || c == '!' || c == '?') && paragraph[i + 1] == ' ') {
      out.push_back(paragraph.substr(start, i + 1 - start));
      start = i + 2;
    }
  }
  if (start < paragraph.size()) out.push_back(paragraph.substr(start));
  return out;
}

// Pieces of at most max_words words: the paragraph itself, or its sentences (hard-cut when one
// is still too long), regrouped greedily.
std::vector<std::string> bounded_pieces(const std::string& paragraph, size_t max_words) {
  if (count_words(paragraph) <= max_words) return {paragraph};
  std::vector<std::string> units;
  for (std::string& sentence : sentences_of(paragraph)) {
    if (count_words(sentence) <= max_words) {
      units.push_back(std::move(sentence));
      continue;
    }
    std::string chunk;
    size_t n = 0;
    size_t i = 0;
    while (i < sentence.size()) {
      size_t j = sentence.find(' ', i);
      if (j == std::string::npos) j = sentence.size();
      if (n == max_words) {
        units.push_back(std::move(chunk));
        chunk.clear();
        n = 0;
      }
      if (!chunk.empty()) chunk += ' ';
      chunk.append(sentence, i, j - i);
      ++n;
      i = j + 1;
    }
    if (!chunk.empty()) units.push_back(std::move(chunk));
  }
  std::vector<std::string> pieces;
  std::string current;
  size_t n_current = 0;
  for (const std::string& unit : units) {
    const size_t n = count_words(unit);
    if (!current.empty() && n_current + n > max_words) {
      pieces.push_back(std::move(current));
      current.clear();
      n_current = 0;
    }
    if (!current.empty()) current += ' ';
    current += unit;
    n_current += n;
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

}  // namespace

std::vector<std::string> split_passages(std::string_view text, PassageLimits limits) {
  const size_t max_words = limits.max_words == 0 ? 1 : limits.max_words;
  std::vector<std::string> passages;
  std::string current;
  size_t n_current = 0;
  auto emit = [&] {
    if (!current.empty()) passages.push_back(std::move(current));
    current.clear();
    n_current = 0;
  };
  for (const std::string& paragraph : split_paragraphs(text)) {
    for (std::string& piece : bounded_pieces(paragraph, max_words)) {
      const size_t n = count_words(piece);
      if (n_current + n > max_words) emit();
      if (!current.empty()) current += "\n\n";
      current += piece;
      n_current += n;
    }
  }
  emit();
  return passages;
}

}  // namespace tachyon::search
