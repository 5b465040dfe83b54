#pragma once
// What ingestion produces and the index keeps: a page (one URL) with its metadata and text, and
// the passages a page is split into. Plain values, owned by whoever holds them.
#include <optional>
#include <string>
#include <vector>

namespace tachyon::search {

// One page as read from a file. Dates are "YYYY-MM-DD" (UTC) or absent.
struct Page {
  std::string url;
  std::string title;
  std::string text;  // paragraphs separated by blank lines
  std::optional<std::string> date;          // publication date
  std::optional<std::string> last_updated;  // last modification
  std::string language = "en";              // ISO 639-1
};

// Why one input (a file, or one line of a JSONL file) could not be ingested.
struct IngestError {
  std::string source;   // the file, with ":LINE" for a JSONL line
  std::string message;
};

// A page ready for the index: its passages (bounded runs of whole paragraphs) and its domain.
struct IndexedPage {
  Page page;
  std::string domain;  // lower-case host without "www."
  std::vector<std::string> passages;
};

}  // namespace tachyon::search
