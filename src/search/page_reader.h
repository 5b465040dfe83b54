#pragma once
// Ingestion's first stage: files and folders to Pages. HTML (.html, .htm), Markdown (.md,
// .markdown), plain text (.txt, .text) and JSONL (.jsonl, .ndjson: one
// {"url","title","text","date","last_updated","language"} object per line, url and text
// required). Folders are walked recursively in name order; their files of other types are
// skipped and counted. A bad input (HTML that is not HTML, a file that cannot be read or is
// not UTF-8 text, a bad JSONL line) is reported and ingestion goes on.
//
// Pages from files without a URL of their own (HTML without <link rel="canonical">, Markdown
// without "url:" front matter, text) get "file://" and the file's absolute path. Without a
// declared date, last_updated is the file's modification day. The language is the declared
// one (<html lang>, front matter, JSONL "language"), else detect_language().
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "search/page.h"
#include "util/result.h"

namespace tachyon::search {

enum class InputFormat { Html, Markdown, Text, Jsonl };

// The format a file's extension names; nullopt for others.
std::optional<InputFormat> input_format(const std::filesystem::path& file);

struct ReadCounts {
  size_t n_files = 0;          // files read (successfully or not)
  size_t n_skipped_files = 0;  // files in folders with an extension no reader takes
};

// Reads `path` (a file or a folder), handing every page to `on_page` and every failure to
// `on_error`, in input order. A file named directly with an unknown extension is read as text.
// Call from one thread; the callbacks run on it.
ReadCounts read_pages(const std::filesystem::path& path, const std::function<void(Page&&)>& on_page,
                      const std::function<void(IngestError&&)>& on_error);

// One JSONL line as a page; InvalidArgument naming what is wrong (not JSON, missing "url" or
// "text", a field of the wrong type, a date that is not a date).
Result<Page> parse_jsonl_page(std::string_view line);

// One HTML document as a page; `fallback_url` and `fallback_title` when the HTML has none.
Result<Page> parse_html_page(std::string_view html, std::string fallback_url, std::string fallback_title);

// One Markdown document as a page.
Result<Page> parse_markdown_page(std::string_view markdown, std::string fallback_url, std::string fallback_title);

// One plain-text document as a page: the first line is the title when it is short.
Result<Page> parse_text_page(std::string_view text, std::string fallback_url, std::string fallback_title);

}  // namespace tachyon::search
