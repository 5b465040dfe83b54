#include "api/search_request.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "search/date_text.h"
#include "search/plain_text.h"
#include "search/url_domain.h"

namespace tachyon {
namespace {

Status read_queries(const nlohmann::json& json, SearchRequest& request) {
  const nlohmann::json* query = find_field(json, "query");
  if (query == nullptr) return invalid_param("query", "Missing required parameter: 'query'");
  std::vector<const nlohmann::json*> items;
  if (query->is_string()) {
    items.push_back(query);
  } else if (query->is_array()) {
    request.query_list = true;
    if (query->empty()) return invalid_param("query", "Invalid 'query': the list is empty");
    if (query->size() > kMaxSearchQueries)
      return invalid_param("query", "Invalid 'query': at most {} queries per request, got {}", kMaxSearchQueries,
                           query->size());
    for (const nlohmann::json& item : *query) {
      if (!item.is_string()) return type_error("query", "a string or a list of strings", item);
      items.push_back(&item);
    }
  } else {
    return type_error("query", "a string or a list of strings", *query);
  }
  for (const nlohmann::json* item : items) {
    std::string text = item->get<std::string>();
    if (text.size() > kMaxSearchQueryBytes)
      return invalid_param("query", "Invalid 'query': a query may be at most {} bytes, got {}", kMaxSearchQueryBytes,
                           text.size());
    if (search::collapse_spaces(text).empty()) return invalid_param("query", "Invalid 'query': a query may not be empty");
    request.queries.push_back(std::move(text));
  }
  return Status::success();
}

Status read_domains(const nlohmann::json& json, search::SearchFilters& filters) {
  const nlohmann::json* domains = find_field(json, "search_domain_filter");
  if (domains == nullptr) return Status::success();
  if (!domains->is_array()) return type_error("search_domain_filter", "a list of domains", *domains);
  if (domains->size() > kMaxDomainFilters)
    return invalid_param("search_domain_filter", "Invalid 'search_domain_filter': at most {} entries, got {}",
                         kMaxDomainFilters, domains->size());
  for (const nlohmann::json& entry : *domains) {
    if (!entry.is_string()) return type_error("search_domain_filter", "a list of domains", entry);
    std::string text = entry.get<std::string>();
    const bool deny = !text.empty() && text.front() == '-';
    const std::string domain = search::normalize_domain_filter(deny ? std::string_view(text).substr(1) : text);
    if (domain.empty() || domain.find_first_of(" \t") != std::string::npos)
      return invalid_param("search_domain_filter", "Invalid 'search_domain_filter': '{}' is not a domain", text);
    (deny ? filters.deny_domains : filters.allow_domains).push_back(domain);
  }
  if (!filters.allow_domains.empty() && !filters.deny_domains.empty())
    return invalid_param("search_domain_filter",
                         "Invalid 'search_domain_filter': use either domains to include or domains to exclude "
                         "(prefixed with '-'), not both");
  return Status::success();
}

Status read_date(const nlohmann::json& json, std::string_view key, std::optional<std::string>& out) {
  const nlohmann::json* value = find_field(json, key);
  if (value == nullptr) return Status::success();
  if (!value->is_string()) return type_error(std::string(key), "a date string (%m/%d/%Y)", *value);
  auto date = search::parse_us_date(value->get<std::string>());
  if (!date)
    return invalid_param(std::string(key), "Invalid '{}': expected a date as %m/%d/%Y (e.g. 3/1/2025), got '{}'", key,
                         value->get<std::string>());
  out = std::move(*date);
  return Status::success();
}

Status read_recency(const nlohmann::json& json, std::string_view today, search::SearchFilters& filters) {
  const nlohmann::json* value = find_field(json, "search_recency_filter");
  if (value == nullptr) return Status::success();
  if (!value->is_string()) return type_error("search_recency_filter", "one of hour, day, week, month, year", *value);
  const std::string recency = value->get<std::string>();
  int days = 0;
  if (recency == "hour" || recency == "day") days = 1;  // dates are whole days: the last day covers the last hour
  else if (recency == "week") days = 7;
  else if (recency == "month") days = 31;
  else if (recency == "year") days = 366;
  else
    return invalid_param("search_recency_filter",
                         "Invalid 'search_recency_filter': expected one of hour, day, week, month, year, got '{}'",
                         recency);
  const auto now = search::normalize_date(today);
  if (!now) return Status::success();
  const auto y = std::stoll(now->substr(0, 4)), m = std::stoll(now->substr(5, 2)), d = std::stoll(now->substr(8, 2));
  const std::string since = search::civil_from_days(*search::days_from_civil(y, int(m), int(d)) - days);
  if (!filters.published_after || *filters.published_after < since) filters.published_after = since;
  return Status::success();
}

Status read_languages(const nlohmann::json& json, search::SearchFilters& filters) {
  const nlohmann::json* value = find_field(json, "search_language_filter");
  if (value == nullptr) return Status::success();
  std::vector<const nlohmann::json*> items;
  if (value->is_string()) items.push_back(value);
  else if (value->is_array())
    for (const nlohmann::json& item : *value) items.push_back(&item);
  else
    return type_error("search_language_filter", "a list of ISO 639-1 language codes", *value);
  if (items.size() > 10)
    return invalid_param("search_language_filter", "Invalid 'search_language_filter': at most 10 languages, got {}",
                         items.size());
  for (const nlohmann::json* item : items) {
    if (!item->is_string()) return type_error("search_language_filter", "a list of ISO 639-1 language codes", *item);
    std::string code = item->get<std::string>();
    for (char& c : code) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (code.size() != 2 || !std::isalpha(static_cast<unsigned char>(code[0])) ||
        !std::isalpha(static_cast<unsigned char>(code[1])))
      return invalid_param("search_language_filter",
                           "Invalid 'search_language_filter': '{}' is not an ISO 639-1 code (two letters, e.g. \"en\")",
                           item->get<std::string>());
    filters.languages.push_back(std::move(code));
  }
  return Status::success();
}

}  // namespace

Status read_enum(const nlohmann::json& json, std::string_view key, std::initializer_list<std::string_view> allowed) {
  const nlohmann::json* value = find_field(json, key);
  if (value == nullptr) return Status::success();
  std::string names;
  for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
  if (!value->is_string()) return type_error(std::string(key), "one of " + names, *value);
  for (std::string_view a : allowed)
    if (value->get<std::string>() == a) return Status::success();
  return invalid_param(std::string(key), "Invalid '{}': expected one of {}, got '{}'", key, names,
                       value->get<std::string>());
}

Status read_search_filters(const nlohmann::json& json, std::string_view today, search::SearchFilters& filters) {
  if (Status s = read_domains(json, filters); !s) return s;
  if (Status s = read_date(json, "search_after_date_filter", filters.published_after); !s) return s;
  if (Status s = read_date(json, "search_before_date_filter", filters.published_before); !s) return s;
  if (Status s = read_date(json, "last_updated_after_filter", filters.updated_after); !s) return s;
  if (Status s = read_date(json, "last_updated_before_filter", filters.updated_before); !s) return s;
  if (Status s = read_recency(json, today, filters); !s) return s;
  return read_languages(json, filters);
}

int64_t words_for_tokens(int64_t tokens) { return std::max<int64_t>(1, tokens * 3 / 4); }

nlohmann::ordered_json search_hit_json(const search::SearchHit& hit) {
  nlohmann::ordered_json j;
  j["title"] = hit.title;
  j["url"] = hit.url;
  j["snippet"] = hit.snippet;
  j["date"] = hit.date ? nlohmann::ordered_json(*hit.date) : nlohmann::ordered_json(nullptr);
  j["last_updated"] = hit.last_updated ? nlohmann::ordered_json(*hit.last_updated) : nlohmann::ordered_json(nullptr);
  return j;
}

Result<SearchRequest> parse_search_request(std::string_view body, std::string_view today) {
  Result<nlohmann::json> parsed = parse_json_object(body);
  if (!parsed) return parsed.error();
  const nlohmann::json& json = *parsed;
  SearchRequest request;
  if (Status s = read_queries(json, request); !s) return s.error();
  std::optional<int64_t> max_results;
  if (Status s = read_integer(json, "max_results", 1, kMaxSearchResults, max_results); !s) return s.error();
  request.max_results = int(max_results.value_or(10));
  if (Status s = read_integer(json, "max_tokens_per_page", 1, 1'000'000, request.max_tokens_per_page); !s) return s.error();
  if (Status s = read_integer(json, "max_tokens", 1, 1'000'000, request.max_tokens); !s) return s.error();
  if (Status s = read_search_filters(json, today, request.filters); !s) return s.error();
  if (const nlohmann::json* country = find_field(json, "country")) {
    if (!country->is_string()) return type_error("country", "an ISO 3166-1 alpha-2 country code", *country);
    std::string code = country->get<std::string>();
    if (code.size() != 2 || !std::isalpha(static_cast<unsigned char>(code[0])) ||
        !std::isalpha(static_cast<unsigned char>(code[1])))
      return invalid_param("country", "Invalid 'country': '{}' is not an ISO 3166-1 alpha-2 code (e.g. \"US\")", code);
    for (char& c : code) c = char(std::toupper(static_cast<unsigned char>(c)));
    request.country = std::move(code);
  }
  if (Status s = read_bool(json, "display_server_time", request.display_server_time); !s) return s.error();
  // Accepted for compatibility; one index serves every mode.
  if (Status s = read_enum(json, "search_mode", {"web", "academic", "sec"}); !s) return s.error();
  if (Status s = read_enum(json, "search_context_size", {"low", "medium", "high"}); !s) return s.error();
  if (Status s = read_enum(json, "search_type", {"web", "people"}); !s) return s.error();
  return request;
}

void apply_token_limits(std::vector<std::vector<search::SearchHit>>& results, std::optional<int64_t> max_tokens_per_page,
                        std::optional<int64_t> max_tokens) {
  if (max_tokens_per_page) {
    const auto n_words = size_t(words_for_tokens(*max_tokens_per_page));
    for (auto& list : results)
      for (search::SearchHit& hit : list) hit.snippet = search::first_words(hit.snippet, n_words);
  }
  if (max_tokens) {
    int64_t words_left = words_for_tokens(*max_tokens);
    for (auto& list : results) {
      for (search::SearchHit& hit : list) {
        const auto n = int64_t(search::count_words(hit.snippet));
        if (n > words_left) hit.snippet = words_left > 0 ? search::first_words(hit.snippet, size_t(words_left)) : "";
        words_left = std::max<int64_t>(0, words_left - n);
      }
    }
  }
}

std::string search_response_json(std::string_view id, const std::vector<std::vector<search::SearchHit>>& results,
                                 bool query_list, const std::optional<std::string>& server_time) {
  nlohmann::ordered_json body;
  body["id"] = id;
  nlohmann::ordered_json lists = nlohmann::ordered_json::array();
  for (const auto& list : results) {
    nlohmann::ordered_json hits = nlohmann::ordered_json::array();
    for (const search::SearchHit& hit : list) hits.push_back(search_hit_json(hit));
    lists.push_back(std::move(hits));
  }
  body["results"] = query_list ? std::move(lists) : (lists.empty() ? nlohmann::ordered_json::array() : lists[0]);
  body["server_time"] = server_time ? nlohmann::ordered_json(*server_time) : nlohmann::ordered_json(nullptr);
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tachyon
