// Search ingestion on arbitrary documents: the HTML, Markdown, text and JSONL readers and the
// passage splitter accept any bytes (pages are Errors or passages of bounded size).
#include "fuzz_input.h"
#include "search/page_reader.h"
#include "search/passage_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view doc = tachyon::fuzz::as_text(data + 1, size - 1);
  tachyon::Result<tachyon::search::Page> page = tachyon::make_error("none");
  switch (data[0] % 4) {
    case 0: page = tachyon::search::parse_html_page(doc, "https://example.com/a", "A"); break;
    case 1: page = tachyon::search::parse_markdown_page(doc, "https://example.com/b", "B"); break;
    case 2: page = tachyon::search::parse_text_page(doc, "https://example.com/c", "C"); break;
    default: page = tachyon::search::parse_jsonl_page(doc); break;
  }
  if (page)
    for (const std::string& passage : tachyon::search::split_passages(page->text))
      if (passage.empty()) __builtin_trap();
  return 0;
}
