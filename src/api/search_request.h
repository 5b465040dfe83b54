#pragma once
// Perplexity's Search API on the wire: POST /search request parsing and validation, and the
// response body. Pure functions, callable from any thread.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/search_query.h"
#include "util/result.h"

namespace tachyon {

// Limits of one request.
inline constexpr size_t kMaxSearchQueries = 5;        // a "query" list holds at most 5
inline constexpr size_t kMaxSearchQueryBytes = 4096;  // one query's text
inline constexpr size_t kMaxDomainFilters = 20;
inline constexpr int kMaxSearchResults = 20;

// The name search rows carry in the usage table, and the name `serve --price` prices a search by
// (search=0,0,USD_PER_REQUEST; grounded chat adds it per search to the model's cost).
inline constexpr const char* kSearchUsageModel = "search";

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

// The filters Perplexity's search and chat requests share, read from a parsed body:
// search_domain_filter, the four date filters (%m/%d/%Y), search_recency_filter (anchored at
// `today`, "YYYY-MM-DD", and folded into published_after) and search_language_filter. Errors are
// 400s naming the field.
Status read_search_filters(const nlohmann::json& json, std::string_view today, search::SearchFilters& filters);

// A request field that must be one of `allowed` when present (a 400 naming it otherwise).
Status read_enum(const nlohmann::json& json, std::string_view key, std::initializer_list<std::string_view> allowed);

// Words a budget of `tokens` buys, a token counted as 3/4 of a word; at least 1.
int64_t words_for_tokens(int64_t tokens);

// {"title", "url", "snippet", "date", "last_updated"}: one result as /search returns it.
nlohmann::ordered_json search_hit_json(const search::SearchHit& hit);

// Cuts snippets to the token limits, a token counted as 3/4 of a word (OpenAI's rule of thumb
// for English): each to max_tokens_per_page, then all of them together to max_tokens, spent in
// rank order (query by query), so once the budget is gone later results keep empty snippets.
void apply_token_limits(std::vector<std::vector<search::SearchHit>>& results, std::optional<int64_t> max_tokens_per_page,
                        std::optional<int64_t> max_tokens);

// {"id", "results": [...] (one list per query when the request had a query list), "server_time"}.
std::string search_response_json(std::string_view id, const std::vector<std::vector<search::SearchHit>>& results,
                                 bool query_list, const std::optional<std::string>& server_time);

}  // namespace tachyon
