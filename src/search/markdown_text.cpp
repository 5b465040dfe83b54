#include "search/markdown_text.h"

#include <cctype>
#include <vector>

#include "search/date_text.h"
#include "search/plain_text.h"

namespace tachyon::search {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return std::string(s);
}

// Inline markup: links and images keep their text, emphasis and code markers go.
std::string strip_inline(std::string_view line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if ((c == '[' || (c == '!' && i + 1 < line.size() && line[i + 1] == '['))) {
      const size_t open = c == '!' ? i + 1 : i;
      const size_t close = line.find(']', open);
      if (close != std::string_view::npos && close + 1 < line.size() && line[close + 1] == '(') {
        const size_t paren = line.find(')', close);
        if (paren != std::string_view::npos) {
          out += strip_inline(line.substr(open + 1, close - open - 1));
          i = paren + 1;
          continue;
        }
      }
    }
    if (c == '*' || c == '`' || c == '~') {
      ++i;
      continue;
    }
    // '_' marks emphasis only at word edges (snake_case names keep theirs).
    if (c == '_') {
      const bool word_before = i > 0 && std::isalnum(static_cast<unsigned char>(line[i - 1]));
      const bool word_after = i + 1 < line.size() && std::isalnum(static_cast<unsigned char>(line[i + 1]));
      if (!(word_before && word_after)) {
        ++i;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

MarkdownContent extract_markdown(std::string_view markdown) {
  MarkdownContent content;
  std::vector<std::string_view> lines = lines_of(markdown);
  size_t first = 0;
  // Front matter.
  if (!lines.empty() && trim(lines[0]) == "---") {
    for (size_t k = 1; k < lines.size(); ++k) {
      if (trim(lines[k]) == "---") {
        for (size_t j = 1; j < k; ++j) {
          const size_t colon = lines[j].find(':');
          if (colon == std::string_view::npos) continue;
          std::string key(trim(lines[j].substr(0, colon)));
          for (char& ch : key) ch = char(std::tolower(static_cast<unsigned char>(ch)));
          const std::string value = unquote(lines[j].substr(colon + 1));
          if (value.empty()) continue;
          if (key == "title") content.title = value;
          else if (key == "url") content.url = value;
          else if (key == "date" || key == "published") content.date = normalize_date(value);
          else if (key == "last_updated" || key == "updated" || key == "lastmod") content.last_updated = normalize_date(value);
          else if (key == "lang" || key == "language") content.language = value.substr(0, 2);
        }
        first = k + 1;
        break;
      }
    }
  }
  std::string text;
  std::string heading;
  bool in_fence = false;
  for (size_t k = first; k < lines.size(); ++k) {
    std::string_view line = lines[k];
    const std::string_view stripped = trim(line);
    if (stripped.starts_with("```") || stripped.starts_with("~~~")) {
      in_fence = !in_fence;
      text += "\n\n";
      continue;
    }
    if (in_fence) {
      text += std::string(line) + "\n";
      continue;
    }
    if (stripped.empty()) {
      text += "\n\n";
      continue;
    }
    // Setext underlines and horizontal rules.
    if (stripped.find_first_not_of("=-*_ ") == std::string_view::npos) {
      text += "\n\n";
      continue;
    }
    std::string_view body = stripped;
    bool is_heading = false;
    if (body.starts_with('#')) {
      body.remove_prefix(body.find_first_not_of('#') == std::string_view::npos ? body.size() : body.find_first_not_of('#'));
      body = trim(body);
      is_heading = true;
    }
    while (body.starts_with('>')) body = trim(body.substr(1));
    if (body.size() > 2 && (body[0] == '-' || body[0] == '*' || body[0] == '+') && body[1] == ' ') body = body.substr(2);
    const std::string plain = strip_inline(body);
    if (is_heading) {
      if (heading.empty()) heading = collapse_spaces(plain);
      text += "\n\n" + plain + "\n\n";
    } else {
      text += plain + "\n";
    }
  }
  if (content.title.empty()) content.title = heading;
  std::string joined;
  for (const std::string& p : split_paragraphs(text)) {
    if (!joined.empty()) joined += "\n\n";
    joined += p;
  }
  content.text = std::move(joined);
  return content;
}

}  // namespace tachyon::search
