#pragma once
// Perplexity's Search API on the wire: POST /search request parsing and validation, and the
// response body. Pure functions, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "search/search_query.h"
#include "util/result.h"

namespace tachyon {

// Limits of one request.
inline constexpr size_t kMaxSearchQueries = 5;        // a "query" list holds at most 5
inline constexpr size_t kMaxSearchQueryBytes = 4096;  // one query's text
inline constexpr size_t kMaxDomainFilters = 20;
inline constexpr int kMaxSearchResults = 20;

struct SearchRequest {
  std::vector<std::string> queries;
  bool query_list = false;  // "query" was a list: results come back as one list per query
  int max_results = 10;
  std::optional<int64_t> max_tokens_per_page;  // per result's snippet
  std::optional<int64_t> max_tokens;           // over all snippets of the response
  search::SearchFilters filters;               // the recency filter folded into published_after
  std::optional<std::string> country;          // accepted (ISO 3166-1 alpha-2); the index has no countries
  bool display_server_time = false;
};

// Parses and validates a /search body. `today` ("YYYY-MM-DD") anchors search_recency_filter.
// Errors are 400s whose param names the field: a missing, empty or over-long query, more than
// five queries, max_results outside 1..20, non-positive token limits, more than 20 domain
// filters or allow and deny entries mixed, an unknown recency, dates not in %m/%d/%Y, language
// codes that are not ISO 639-1.
Result<SearchRequest> parse_search_request(std::string_view body, std::string_view today);

// Cuts snippets to the token limits, a token counted as 3/4 of a word (OpenAI's rule of thumb
// for English): each to max_tokens_per_page, then all of them together to max_tokens, spent in
// rank order (query by query), so once the budget is gone later results keep empty snippets.
void apply_token_limits(std::vector<std::vector<search::SearchHit>>& results, std::optional<int64_t> max_tokens_per_page,
                        std::optional<int64_t> max_tokens);

// {"id", "results": [...] (one list per query when the request had a query list), "server_time"}.
std::string search_response_json(std::string_view id, const std::vector<std::vector<search::SearchHit>>& results,
                                 bool query_list, const std::optional<std::string>& server_time);

}  // namespace tachyon
