#include "search/html_text.h"

#include <array>
#include <cctype>
#include <map>
#include <vector>

#include "search/date_text.h"
#include "search/plain_text.h"

namespace tachyon::search {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One start or end tag: its lower-case name and attributes (names lower-cased, values raw).
struct Tag {
  std::string name;
  bool closing = false;
  std::map<std::string, std::string> attributes;
};

// Parses the tag starting at html[pos] == '<'; returns the position after its '>' (or the end).
size_t parse_tag(std::string_view html, size_t pos, Tag& tag) {
  size_t i = pos + 1;
  if (i < html.size() && html[i] == '/') {
    tag.closing = true;
    ++i;
  }
  const size_t name_start = i;
  while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '-' || html[i] == ':')) ++i;
  tag.name = lower(html.substr(name_start, i - name_start));
  while (i < html.size() && html[i] != '>') {
    if (std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '/') {
      ++i;
      continue;
    }
    const size_t key_start = i;
    while (i < html.size() && html[i] != '=' && html[i] != '>' && !std::isspace(static_cast<unsigned char>(html[i]))) ++i;
    std::string key = lower(html.substr(key_start, i - key_start));
    while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        const char quote = html[i++];
        const size_t end = html.find(quote, i);
        const size_t stop = end == std::string_view::npos ? html.size() : end;
        value = html.substr(i, stop - i);
        i = stop == html.size() ? stop : stop + 1;
      } else {
        const size_t value_start = i;
        while (i < html.size() && html[i] != '>' && !std::isspace(static_cast<unsigned char>(html[i]))) ++i;
        value = html.substr(value_start, i - value_start);
      }
    }
    if (!key.empty()) tag.attributes.emplace(std::move(key), decode_entities(value));
  }
  return i < html.size() ? i + 1 : i;
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (name == n) return true;
  return false;
}

// Elements whose content is never page text.
bool is_dropped(std::string_view name) {
  return is_one_of(name, {"script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside",
                          "form", "select", "button", "iframe", "object", "head"});
}

// Elements that are their own paragraph.
bool is_block(std::string_view name) {
  return is_one_of(name, {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
                          "tr", "table", "section", "article", "main", "blockquote", "pre", "hr", "figure",
                          "figcaption", "body", "html", "td", "th", "address"});
}

// The meta names (or properties) that carry a page's dates, most specific first.
constexpr std::array<std::string_view, 9> kPublishedNames = {
    "article:published_time", "datepublished", "date", "dc.date", "dc.date.issued", "dcterms.date",
    "pubdate", "publish_date", "citation_publication_date"};
constexpr std::array<std::string_view, 7> kModifiedNames = {
    "last-modified", "article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
    "dcterms.modified", "revised"};

int rank_in(std::string_view name, auto const& names) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int(i);
  return -1;
}

// Text collected while walking the document, with paragraph breaks as '\n\n'.
struct TextSink {
  std::string text;
  void add(std::string_view s) { text.append(s); }
  void paragraph_break() {
    if (!text.empty() && !text.ends_with("\n\n")) text.append("\n\n");
  }
};

}  // namespace

std::string decode_entities(std::string_view text) {
  static const std::map<std::string, uint32_t, std::less<>> kNamed = {
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", 0xA0},    {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026}, {"lsquo", 0x2018},
      {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"copy", 0xA9},    {"reg", 0xAE},
      {"trade", 0x2122}, {"middot", 0xB7},  {"eacute", 0xE9},  {"egrave", 0xE8},  {"aacute", 0xE1},
      {"agrave", 0xE0},  {"ouml", 0xF6},    {"uuml", 0xFC},    {"auml", 0xE4},    {"szlig", 0xDF},
      {"ccedil", 0xE7},  {"laquo", 0xAB},   {"raquo", 0xBB},   {"bull", 0x2022},  {"deg", 0xB0}};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    const size_t semi = text.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back(text[i++]);
      continue;
    }
    const std::string_view name = text.substr(i + 1, semi - i - 1);
    std::optional<uint32_t> cp;
    if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string_view digits = name.substr(hex ? 2 : 1);
      uint32_t v = 0;
      bool ok = !digits.empty();
      for (char c : digits) {
        const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : hex && std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                                             : -1;
        if (d < 0 || v > 0x10FFFF) {
          ok = false;
          break;
        }
        v = v * (hex ? 16 : 10) + uint32_t(d);
      }
      if (ok) cp = v;
    } else if (auto it = kNamed.find(name); it != kNamed.end()) {
      cp = it->second;
    }
    if (!cp) {
      out.push_back(text[i++]);
      continue;
    }
    append_utf8(out, *cp == 0xA0 ? uint32_t(' ') : *cp);
    i = semi + 1;
  }
  return out;
}

Result<HtmlContent> extract_html(std::string_view html) {
  if (!is_valid_utf8(html)) return make_error("not UTF-8 text");
  HtmlContent content;
  TextSink body, main_text, article_text, title, first_h1;
  int dropped_depth = 0, main_depth = 0, article_depth = 0, title_depth = 0, h1_depth = 0;
  std::string dropped_name;  // the element that opened the dropped region
  int date_rank = 1000, modified_rank = 1000;
  bool seen_html_tag = false;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      const size_t next = html.find('<', i);
      const size_t end = next == std::string_view::npos ? html.size() : next;
      if (title_depth > 0) {
        title.add(decode_entities(html.substr(i, end - i)));
      } else if (dropped_depth == 0) {
        const std::string text = decode_entities(html.substr(i, end - i));
        body.add(text);
        if (main_depth > 0) main_text.add(text);
        if (article_depth > 0) article_text.add(text);
        if (h1_depth > 0) first_h1.add(text);
      }
      i = end;
      continue;
    }
    // Comments, doctype, CDATA and processing instructions.
    if (html.substr(i, 4) == "<!--") {
      const size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (i + 1 < html.size() && (html[i + 1] == '!' || html[i + 1] == '?')) {
      if (lower(html.substr(i, 9)) == "<!doctype") seen_html_tag = true;
      const size_t end = html.find('>', i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      continue;
    }
    if (i + 1 >= html.size() || !(std::isalpha(static_cast<unsigned char>(html[i + 1])) || html[i + 1] == '/')) {
      // A lone '<' in text.
      if (dropped_depth == 0) body.add("<");
      ++i;
      continue;
    }
    Tag tag;
    i = parse_tag(html, i, tag);
    const std::string& name = tag.name;
    if (is_one_of(name, {"html", "head", "body", "title", "p", "div", "meta", "a", "h1", "h2", "span", "br",
                         "article", "main", "table", "ul", "li"}))
      seen_html_tag = true;
    // Raw-text elements: skip to their end tag without reading markup inside.
    if (!tag.closing && (name == "script" || name == "style")) {
      const std::string close = "</" + name;
      size_t end = i;
      while (true) {
        end = html.find("</", end);
        if (end == std::string_view::npos || lower(html.substr(end, close.size())) == close) break;
        end += 2;
      }
      if (end == std::string_view::npos) {
        i = html.size();
      } else {
        const size_t gt = html.find('>', end);
        i = gt == std::string_view::npos ? html.size() : gt + 1;
      }
      continue;
    }
    if (name == "html" && !tag.closing) {
      if (auto it = tag.attributes.find("lang"); it != tag.attributes.end() && it->second.size() >= 2) {
        const std::string lang = lower(it->second.substr(0, it->second.find_first_of("-_")));
        if (lang.size() == 2 || lang.size() == 3) content.language = lang;
      }
      continue;
    }
    if (name == "meta") {
      std::string key;
      for (const char* attr : {"property", "name", "itemprop", "http-equiv"})
        if (auto it = tag.attributes.find(attr); it != tag.attributes.end()) key = lower(it->second);
      auto value = tag.attributes.find("content");
      if (key.empty() || value == tag.attributes.end()) continue;
      if (int r = rank_in(key, kPublishedNames); r >= 0 && r < date_rank) {
        if (auto d = normalize_date(value->second)) content.date = d, date_rank = r;
      } else if (int m = rank_in(key, kModifiedNames); m >= 0 && m < modified_rank) {
        if (auto d = normalize_date(value->second)) content.last_updated = d, modified_rank = m;
      }
      continue;
    }
    if (name == "link" && !tag.closing) {
      auto rel = tag.attributes.find("rel");
      auto href = tag.attributes.find("href");
      if (rel != tag.attributes.end() && href != tag.attributes.end() && lower(rel->second) == "canonical" &&
          href->second.find("://") != std::string::npos)
        content.canonical_url = href->second;
      continue;
    }
    if (name == "title" && dropped_depth <= 1) {
      // <title> sits in <head>, which is otherwise dropped.
      title_depth += tag.closing ? (title_depth > 0 ? -1 : 0) : 1;
      continue;
    }
    if (is_dropped(name)) {
      if (!tag.closing) {
        if (dropped_depth == 0) dropped_name = name;
        if (name == dropped_name) ++dropped_depth;
      } else if (name == dropped_name && dropped_depth > 0) {
        --dropped_depth;
      }
      continue;
    }
    if (dropped_depth > 0) continue;
    auto track = [&](std::string_view element, int& depth) {
      if (name != element) return;
      depth += tag.closing ? (depth > 0 ? -1 : 0) : 1;
    };
    track("main", main_depth);
    track("article", article_depth);
    if (name == "h1" && (first_h1.text.empty() || h1_depth > 0)) track("h1", h1_depth);
    if (is_block(name)) {
      body.paragraph_break();
      if (main_depth > 0 || name == "main") main_text.paragraph_break();
      if (article_depth > 0 || name == "article") article_text.paragraph_break();
    }
  }
  if (!seen_html_tag) return make_error("not HTML: no HTML elements found");
  const std::string& chosen = !collapse_spaces(main_text.text).empty()      ? main_text.text
                              : !collapse_spaces(article_text.text).empty() ? article_text.text
                                                                            : body.text;
  std::string text;
  for (const std::string& p : split_paragraphs(chosen)) {
    if (!text.empty()) text += "\n\n";
    text += p;
  }
  content.text = std::move(text);
  content.title = collapse_spaces(title.text);
  if (content.title.empty()) content.title = collapse_spaces(first_h1.text);
  return content;
}

}  // namespace tachyon::search
