#pragma once
// The readable part of an HTML page: its title, the main text without navigation, scripts and
// styles, the dates its meta tags declare, its language and its canonical URL. A tolerant tag
// scanner, not a full HTML5 parser: the index needs text and a handful of head fields, and
// malformed markup must degrade to text, never fail. Pure functions, callable from any thread.
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tachyon::search {

struct HtmlContent {
  std::string title;  // <title>, else the first <h1>; "" when neither
  std::string text;   // paragraphs separated by blank lines
  std::optional<std::string> date;          // article:published_time, date, dc.date, ...
  std::optional<std::string> last_updated;  // last-modified, article:modified_time, ...
  std::optional<std::string> language;      // <html lang="en-US"> -> "en"
  std::optional<std::string> canonical_url;  // <link rel="canonical" href="...">
};

// Text inside <main>, else inside <article> elements, else the whole body; <nav>, <header>,
// <footer>, <aside>, <form>, <script>, <style>, <noscript>, <template> and <svg> are dropped.
// InvalidArgument when the input is not HTML (no tags an HTML document has) or not UTF-8 text.
Result<HtmlContent> extract_html(std::string_view html);

// Decodes character references (&amp;, &#233;, &#xE9;, the common named ones) to UTF-8.
std::string decode_entities(std::string_view text);

}  // namespace tachyon::search
