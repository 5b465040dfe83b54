// POST /search: request validation and the response shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/search_request.h"

namespace tachyon {
namespace {

constexpr std::string_view kToday = "2026-03-15";

Result<SearchRequest> parse_search(const std::string& body) { return parse_search_request(body, kToday); }

std::string param_of(const std::string& body) {
  auto r = parse_search(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.error().param;
}

TEST(SearchRequest, DefaultsAndOneQuery) {
  auto r = parse_search(R"({"query":"What is a hacker?"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->queries, std::vector<std::string>{"What is a hacker?"});
  EXPECT_FALSE(r->query_list);
  EXPECT_EQ(r->max_results, 10);
  EXPECT_FALSE(r->max_tokens_per_page.has_value());
  EXPECT_TRUE(r->filters.allow_domains.empty());
}

TEST(SearchRequest, EveryParameter) {
  auto r = parse_search(R"({"query":["a","b"],"max_results":3,"max_tokens_per_page":64,"max_tokens":500,
    "search_domain_filter":["https://www.catb.org/jargon","gutenberg.org"],"search_after_date_filter":"1/2/2000",
    "search_before_date_filter":"12/31/2010","last_updated_after_filter":"03/01/2001",
    "last_updated_before_filter":"3/1/2025","search_language_filter":["EN","fr"],"country":"us",
    "display_server_time":true,"search_mode":"web","search_context_size":"low"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->query_list);
  EXPECT_EQ(r->queries.size(), 2u);
  EXPECT_EQ(r->max_results, 3);
  EXPECT_EQ(r->max_tokens_per_page, 64);
  EXPECT_EQ(r->max_tokens, 500);
  EXPECT_EQ(r->filters.allow_domains, (std::vector<std::string>{"catb.org", "gutenberg.org"}));
  EXPECT_EQ(r->filters.published_after, "2000-01-02");
  EXPECT_EQ(r->filters.published_before, "2010-12-31");
  EXPECT_EQ(r->filters.updated_after, "2001-03-01");
  EXPECT_EQ(r->filters.updated_before, "2025-03-01");
  EXPECT_EQ(r->filters.languages, (std::vector<std::string>{"en", "fr"}));
  EXPECT_EQ(r->country, "US");
  EXPECT_TRUE(r->display_server_time);
}

TEST(SearchRequest, DenyListsAndRecency) {
  auto deny = parse_search(R"({"query":"x","search_domain_filter":["-catb.org","-Example.COM"]})");
  ASSERT_TRUE(deny.ok());
  EXPECT_EQ(deny->filters.deny_domains, (std::vector<std::string>{"catb.org", "example.com"}));
  auto week = parse_search(R"({"query":"x","search_recency_filter":"week"})");
  ASSERT_TRUE(week.ok());
  EXPECT_EQ(week->filters.published_after, "2026-03-08");
  // The later of an explicit date and the recency window wins.
  auto both = parse_search(R"({"query":"x","search_recency_filter":"year","search_after_date_filter":"3/1/2026"})");
  EXPECT_EQ(both->filters.published_after, "2026-03-01");
  auto year = parse_search(R"({"query":"x","search_recency_filter":"year","search_after_date_filter":"3/1/2020"})");
  EXPECT_EQ(year->filters.published_after, "2025-03-14");
}

TEST(SearchRequest, InvalidValuesName400Params) {
  EXPECT_EQ(param_of(R"({})"), "query");
  EXPECT_EQ(param_of(R"({"query":""})"), "query");
  EXPECT_EQ(param_of(R"({"query":"   "})"), "query");
  EXPECT_EQ(param_of(R"({"query":[]})"), "query");
  EXPECT_EQ(param_of(R"({"query":["a","b","c","d","e","f"]})"), "query");
  EXPECT_EQ(param_of(R"({"query":["a",""]})"), "query");
  EXPECT_EQ(param_of(R"({"query":["a",3]})"), "query");
  EXPECT_EQ(param_of(R"({"query":7})"), "query");
  EXPECT_EQ(param_of(nlohmann::json{{"query", std::string(10 * 1024, 'a')}}.dump()), "query");
  EXPECT_EQ(param_of(R"({"query":"x","max_results":0})"), "max_results");
  EXPECT_EQ(param_of(R"({"query":"x","max_results":21})"), "max_results");
  EXPECT_EQ(param_of(R"({"query":"x","max_results":"5"})"), "max_results");
  EXPECT_EQ(param_of(R"({"query":"x","max_tokens_per_page":0})"), "max_tokens_per_page");
  EXPECT_EQ(param_of(R"({"query":"x","max_tokens":-1})"), "max_tokens");
  EXPECT_EQ(param_of(R"({"query":"x","search_domain_filter":"catb.org"})"), "search_domain_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_domain_filter":["catb.org","-gutenberg.org"]})"), "search_domain_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_domain_filter":["-"]})"), "search_domain_filter");
  nlohmann::json many = {{"query", "x"}, {"search_domain_filter", nlohmann::json::array()}};
  for (int i = 0; i < 21; ++i) many["search_domain_filter"].push_back("d" + std::to_string(i) + ".com");
  EXPECT_EQ(param_of(many.dump()), "search_domain_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_recency_filter":"decade"})"), "search_recency_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_after_date_filter":"2025-03-01"})"), "search_after_date_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_before_date_filter":"2/30/2025"})"), "search_before_date_filter");
  EXPECT_EQ(param_of(R"({"query":"x","last_updated_after_filter":5})"), "last_updated_after_filter");
  EXPECT_EQ(param_of(R"({"query":"x","last_updated_before_filter":"13/1/2025"})"), "last_updated_before_filter");
  EXPECT_EQ(param_of(R"({"query":"x","search_language_filter":["english"]})"), "search_language_filter");
  EXPECT_EQ(param_of(R"({"query":"x","country":"USA"})"), "country");
  EXPECT_EQ(param_of(R"({"query":"x","search_mode":"deep"})"), "search_mode");
  EXPECT_EQ(param_of(R"({"query":"x","display_server_time":"yes"})"), "display_server_time");
  EXPECT_EQ(parse_search("not json").error().kind, ErrorKind::InvalidArgument);
}

search::SearchHit hit(std::string url, std::string snippet) {
  search::SearchHit h;
  h.url = std::move(url);
  h.title = "T " + h.url;
  h.snippet = std::move(snippet);
  h.date = "2003-12-29";
  return h;
}

TEST(SearchRequest, TokenLimitsTrimSnippetsInRankOrder) {
  std::vector<std::vector<search::SearchHit>> results = {{hit("a", "one two three four five six seven eight"),
                                                          hit("b", "alpha beta gamma delta")}};
  apply_token_limits(results, 4, std::nullopt);  // 4 tokens ~ 3 words
  EXPECT_EQ(results[0][0].snippet, "one two three…");
  EXPECT_EQ(results[0][1].snippet, "alpha beta gamma…");
  std::vector<std::vector<search::SearchHit>> total = {{hit("a", "one two three four"), hit("b", "alpha beta gamma delta"),
                                                        hit("c", "x y")}};
  apply_token_limits(total, std::nullopt, 8);  // 6 words in all
  EXPECT_EQ(total[0][0].snippet, "one two three four");
  EXPECT_EQ(total[0][1].snippet, "alpha beta…");
  EXPECT_EQ(total[0][2].snippet, "");
}

TEST(SearchRequest, ResponseShape) {
  const std::vector<std::vector<search::SearchHit>> results = {{hit("https://a", "s")}, {}};
  const auto single = nlohmann::json::parse(search_response_json("id1", {results[0]}, false, std::nullopt));
  EXPECT_EQ(single["id"], "id1");
  ASSERT_TRUE(single["results"].is_array());
  EXPECT_EQ(single["results"][0]["url"], "https://a");
  EXPECT_EQ(single["results"][0]["date"], "2003-12-29");
  EXPECT_TRUE(single["results"][0]["last_updated"].is_null());
  EXPECT_TRUE(single["server_time"].is_null());
  const auto multi = nlohmann::json::parse(search_response_json("id2", results, true, "2026-03-15T00:00:00Z"));
  ASSERT_EQ(multi["results"].size(), 2u);
  EXPECT_TRUE(multi["results"][0].is_array());
  EXPECT_TRUE(multi["results"][1].empty());
  EXPECT_EQ(multi["server_time"], "2026-03-15T00:00:00Z");
}

}  // namespace
}  // namespace tachyon
