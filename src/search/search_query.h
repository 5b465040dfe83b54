#pragma once
// What a search asks of the index and what it answers: plain values shared by the index, the
// API layer and the evaluation.
#include <optional>
#include <string>
#include <vector>

namespace tachyon::search {

// Dates are "YYYY-MM-DD" and bounds are inclusive. A page without the date a bound looks at
// (`date` for the published bounds, `last_updated` for the updated ones) is left out.
struct SearchFilters {
  std::vector<std::string> allow_domains;  // non-empty: only these domains and their subdomains
  std::vector<std::string> deny_domains;   // never these domains or their subdomains
  std::optional<std::string> published_after;
  std::optional<std::string> published_before;
  std::optional<std::string> updated_after;
  std::optional<std::string> updated_before;
  std::vector<std::string> languages;  // non-empty: only pages in one of these ISO 639-1 codes
};

struct SearchQuery {
  std::string text;
  SearchFilters filters;
  int max_results = 10;
};

// One page in a result list, with its best passage.
struct SearchHit {
  std::string url;
  std::string title;
  std::string snippet;  // the best-ranked passage of the page
  std::optional<std::string> date;
  std::optional<std::string> last_updated;
  std::string domain;
  std::string language;
  double score = 0;  // BM25, higher is better
};

}  // namespace tachyon::search
