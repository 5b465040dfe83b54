#pragma once
// Markdown to the plain text the index keeps: markup (headings' #, emphasis, code fences, link
// targets, list and quote markers) removed, paragraphs kept. A YAML-style front matter block
// ("---" lines around "key: value" pairs) may give url, title, date and last_updated. Pure
// functions, callable from any thread.
#include <optional>
#include <string>
#include <string_view>

namespace tachyon::search {

struct MarkdownContent {
  std::string title;  // front matter "title", else the first heading, else ""
  std::string text;   // paragraphs separated by blank lines
  std::optional<std::string> url;
  std::optional<std::string> date;
  std::optional<std::string> last_updated;
  std::optional<std::string> language;
};

MarkdownContent extract_markdown(std::string_view markdown);

}  // namespace tachyon::search
