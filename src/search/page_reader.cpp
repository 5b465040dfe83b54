#include "search/page_reader.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/date_text.h"
#include "search/html_text.h"
#include "search/language.h"
#include "search/markdown_text.h"
#include "search/plain_text.h"

namespace tachyon::search {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("cannot open: {}", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return make_error("cannot read: {}", std::strerror(errno));
  return buffer.str();
}

std::optional<std::string> modification_day(const fs::path& file) {
  std::error_code ec;
  const auto written = fs::last_write_time(file, ec);
  if (ec) return std::nullopt;
  const auto system = std::chrono::file_clock::to_sys(written);
  return civil_from_days(std::chrono::floor<std::chrono::days>(system).time_since_epoch().count());
}

std::string file_url(const fs::path& file) {
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  return "file://" + (ec ? file : absolute.lexically_normal()).string();
}

Status check_text(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return make_error("binary data, not text");
  if (!is_valid_utf8(text)) return make_error("not UTF-8 text");
  return Status::success();
}

void finish(Page& page) {
  if (page.language.empty()) page.language = detect_language(page.text);
}

// A JSON field that must be a string when present; null counts as absent.
Result<std::optional<std::string>> optional_string(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return make_error("\"{}\" must be a string", key);
  return std::optional<std::string>{it->get<std::string>()};
}

Result<std::optional<std::string>> optional_date(const nlohmann::json& object, const char* key) {
  auto text = optional_string(object, key);
  if (!text) return text.error();
  if (!*text || (*text)->empty()) return std::optional<std::string>{};
  auto date = normalize_date(**text);
  if (!date) return make_error("\"{}\" is not a date: \"{}\"", key, **text);
  return date;
}

void read_one_file(const fs::path& file, InputFormat format, const std::function<void(Page&&)>& on_page,
                   const std::function<void(IngestError&&)>& on_error) {
  const std::string source = file.string();
  Result<std::string> bytes = read_file(file);
  if (!bytes) return on_error({source, bytes.error().message});
  if (format == InputFormat::Jsonl) {
    std::istringstream lines(*bytes);
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line)) {
      ++n;
      if (collapse_spaces(line).empty()) continue;
      Result<Page> page = parse_jsonl_page(line);
      if (!page) on_error({fmt::format("{}:{}", source, n), page.error().message});
      else on_page(std::move(*page));
    }
    return;
  }
  const std::string url = file_url(file);
  const std::string stem = file.stem().string();
  Result<Page> page = format == InputFormat::Html       ? parse_html_page(*bytes, url, stem)
                      : format == InputFormat::Markdown ? parse_markdown_page(*bytes, url, stem)
                                                        : parse_text_page(*bytes, url, stem);
  if (!page) return on_error({source, page.error().message});
  if (!page->date && !page->last_updated) page->last_updated = modification_day(file);
  on_page(std::move(*page));
}

}  // namespace

std::optional<InputFormat> input_format(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return InputFormat::Html;
  if (ext == ".md" || ext == ".markdown") return InputFormat::Markdown;
  if (ext == ".txt" || ext == ".text") return InputFormat::Text;
  if (ext == ".jsonl" || ext == ".ndjson") return InputFormat::Jsonl;
  return std::nullopt;
}

Result<Page> parse_jsonl_page(std::string_view line) {
  const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded()) return make_error("not a JSON object: invalid JSON");
  if (!json.is_object()) return make_error("not a JSON object");
  Page page;
  auto url = optional_string(json, "url");
  if (!url) return url.error();
  if (!*url || (*url)->empty()) return make_error("missing \"url\"");
  page.url = **url;
  auto text = optional_string(json, "text");
  if (!text) return text.error();
  if (!*text || collapse_spaces(**text).empty()) return make_error("missing \"text\"");
  if (Status s = check_text(**text); !s) return s.error();
  page.text = **text;
  auto title = optional_string(json, "title");
  if (!title) return title.error();
  page.title = *title ? collapse_spaces(**title) : page.url;
  auto date = optional_date(json, "date");
  if (!date) return date.error();
  page.date = *date;
  auto updated = optional_date(json, "last_updated");
  if (!updated) return updated.error();
  page.last_updated = *updated;
  auto language = optional_string(json, "language");
  if (!language) return language.error();
  page.language = *language ? (*language)->substr(0, 2) : "";
  finish(page);
  return page;
}

Result<Page> parse_html_page(std::string_view html, std::string fallback_url, std::string fallback_title) {
  if (Status s = check_text(html); !s) return s.error();
  Result<HtmlContent> content = extract_html(html);
  if (!content) return content.error();
  if (content->text.empty()) return make_error("no text in the HTML body");
  Page page;
  page.url = content->canonical_url.value_or(std::move(fallback_url));
  page.title = content->title.empty() ? std::move(fallback_title) : content->title;
  page.text = std::move(content->text);
  page.date = content->date;
  page.last_updated = content->last_updated;
  page.language = content->language.value_or("");
  finish(page);
  return page;
}

Result<Page> parse_markdown_page(std::string_view markdown, std::string fallback_url, std::string fallback_title) {
  if (Status s = check_text(markdown); !s) return s.error();
  MarkdownContent content = extract_markdown(markdown);
  if (content.text.empty()) return make_error("no text");
  Page page;
  page.url = content.url.value_or(std::move(fallback_url));
  page.title = content.title.empty() ? std::move(fallback_title) : content.title;
  page.text = std::move(content.text);
  page.date = content.date;
  page.last_updated = content.last_updated;
  page.language = content.language.value_or("");
  finish(page);
  return page;
}

Result<Page> parse_text_page(std::string_view text, std::string fallback_url, std::string fallback_title) {
  if (Status s = check_text(text); !s) return s.error();
  std::vector<std::string> paragraphs = split_paragraphs(text);
  if (paragraphs.empty()) return make_error("no text");
  Page page;
  page.url = std::move(fallback_url);
  page.title = std::move(fallback_title);
  // A short first line standing alone is the title.
  const std::string_view first_line = text.substr(0, text.find('\n'));
  const std::string first = collapse_spaces(first_line);
  if (!first.empty() && first.size() <= 120 && paragraphs.front() == first) page.title = first;
  for (const std::string& p : paragraphs) {
    if (!page.text.empty()) page.text += "\n\n";
    page.text += p;
  }
  page.language = "";
  finish(page);
  return page;
}

ReadCounts read_pages(const fs::path& path, const std::function<void(Page&&)>& on_page,
                      const std::function<void(IngestError&&)>& on_error) {
  ReadCounts counts;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) on_error({path.string(), fmt::format("cannot list: {}", ec.message())});
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      const auto format = input_format(file);
      if (!format) {
        ++counts.n_skipped_files;
        continue;
      }
      ++counts.n_files;
      read_one_file(file, *format, on_page, on_error);
    }
    return counts;
  }
  if (!fs::exists(path, ec)) {
    on_error({path.string(), "no such file or folder"});
    return counts;
  }
  ++counts.n_files;
  read_one_file(path, input_format(path).value_or(InputFormat::Text), on_page, on_error);
  return counts;
}

}  // namespace tachyon::search
