#include "api/grounding.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/chat_message.h"

namespace tachyon {
namespace {

using ::tachyon::testing::chat_message;

constexpr std::string_view kGroundingToday = "2026-12-05";

search::SearchHit hit(std::string title, std::string url, std::string snippet) {
  search::SearchHit h;
  h.title = std::move(title);
  h.url = std::move(url);
  h.snippet = std::move(snippet);
  h.date = "2003-12-29";
  return h;
}

std::string error_param(std::string_view body) {
  auto options = parse_chat_search_options(body, kGroundingToday);
  EXPECT_FALSE(options.ok()) << body;
  return options ? "" : options.error().param;
}

TEST(ChatSearchOptions, DefaultsAreLowContextWithoutFilters) {
  auto options = parse_chat_search_options(R"({"model":"m","messages":[]})", kGroundingToday);
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->disabled);
  EXPECT_EQ(options->context_size, SearchContextSize::Low);
  EXPECT_TRUE(options->filters.allow_domains.empty());
  EXPECT_FALSE(options->filters.published_after);
}

TEST(ChatSearchOptions, ReadsTheSearchFieldsOfAChatRequest) {
  auto options = parse_chat_search_options(
      R"({"disable_search":true,"web_search_options":{"search_context_size":"high","user_location":{"country":"US"}},
          "search_domain_filter":["-gutenberg.org"],"search_after_date_filter":"1/1/2000","search_mode":"web",
          "return_related_questions":false,"return_images":false})",
      kGroundingToday);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_TRUE(options->disabled);
  EXPECT_EQ(options->context_size, SearchContextSize::High);
  EXPECT_EQ(options->filters.deny_domains, std::vector<std::string>{"gutenberg.org"});
  EXPECT_EQ(options->filters.published_after, "2000-01-01");
}

TEST(ChatSearchOptions, RecencyIsCountedFromToday) {
  auto options = parse_chat_search_options(R"({"search_recency_filter":"week"})", kGroundingToday);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->filters.published_after, "2026-11-28");
}

TEST(ChatSearchOptions, BadValuesAre400sNamingTheField) {
  EXPECT_EQ(error_param(R"({"disable_search":"yes"})"), "disable_search");
  EXPECT_EQ(error_param(R"({"web_search_options":[]})"), "web_search_options");
  EXPECT_EQ(error_param(R"({"web_search_options":{"search_context_size":"huge"}})"),
            "web_search_options.search_context_size");
  EXPECT_EQ(error_param(R"({"search_domain_filter":["a.com","-b.com"]})"), "search_domain_filter");
  EXPECT_EQ(error_param(R"({"search_recency_filter":"decade"})"), "search_recency_filter");
  EXPECT_EQ(error_param(R"({"search_before_date_filter":"2025-01-01"})"), "search_before_date_filter");
  EXPECT_EQ(error_param(R"({"search_mode":"deep"})"), "search_mode");
  EXPECT_EQ(error_param(R"({"return_images":true})"), "return_images");
  EXPECT_EQ(error_param(R"({"return_related_questions":true})"), "return_related_questions");
  auto refused = parse_chat_search_options(R"({"return_images":true})", kGroundingToday);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(http_status(refused.error()), 400);
  EXPECT_NE(refused.error().message.find("not supported"), std::string::npos);
}

TEST(ChatSearchOptions, LargerContextsAskForMoreSources) {
  const SourceBudget low = source_budget(SearchContextSize::Low);
  const SourceBudget medium = source_budget(SearchContextSize::Medium);
  const SourceBudget high = source_budget(SearchContextSize::High);
  EXPECT_LT(low.max_sources, medium.max_sources);
  EXPECT_LT(medium.max_sources, high.max_sources);
  EXPECT_LT(low.words_per_source, high.words_per_source);
  EXPECT_EQ(context_size_name(SearchContextSize::Medium), "medium");
}

TEST(GroundingQuery, IsTheLastUserTurn) {
  std::vector<ChatRequestMessage> messages{chat_message("system", "Be brief."), chat_message("user", "What is a kluge?"),
                                           chat_message("assistant", "A clever hack."),
                                           chat_message("user", "  And a\n hacker?  ")};
  EXPECT_EQ(grounding_query(messages, 4096), "And a hacker?");
  messages.pop_back();
  messages.pop_back();
  EXPECT_EQ(grounding_query(messages, 4096), "What is a kluge?");
  EXPECT_EQ(grounding_query(std::vector<ChatRequestMessage>{chat_message("system", "x")}, 4096), "");
}

TEST(GroundingQuery, IsCutAtACharacterBoundary) {
  const std::vector<ChatRequestMessage> messages{chat_message("user", "caf\xC3\xA9s")};
  EXPECT_EQ(grounding_query(messages, 4), "caf");
  EXPECT_EQ(grounding_query(messages, 5), "caf\xC3\xA9");
}

TEST(GroundedMessages, NumberTheSourcesInTheSystemTurn) {
  const std::vector<search::SearchHit> hits{hit("hacker", "http://a/hacker", "A person who enjoys\n exploring."),
                                            hit("kluge", "http://a/kluge", "A clever programming trick.")};
  const std::string expected =
      "Sources:\n[1] hacker\nA person who enjoys exploring.\n[2] kluge\nA clever programming trick.\n"
      "Answer from the sources above and cite each one you use by its number, like [1].";
  EXPECT_EQ(sources_prompt(hits), expected);

  auto added = grounded_messages({chat_message("user", "What is a hacker?")}, hits);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].role, "system");
  EXPECT_EQ(added[0].content, expected);
  EXPECT_EQ(added[1].content, "What is a hacker?");

  auto merged = grounded_messages({chat_message("system", "Be brief."), chat_message("user", "Hi")}, hits);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].content, "Be brief.\n\n" + expected);

  auto unchanged = grounded_messages({chat_message("user", "Hi")}, {});
  ASSERT_EQ(unchanged.size(), 1u);
}

// Counts a conversation's words, as a stand-in for a tokenizer.
size_t words_of(const std::vector<ChatRequestMessage>& messages) {
  size_t n = 0;
  for (const auto& m : messages) n += search::count_words(m.content);
  return n;
}

std::string words(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? " w" : "w") + std::to_string(i);
  return out;
}

TEST(FitGroundedMessages, KeepsEverySourceThatFits) {
  std::vector<search::SearchHit> hits{hit("a", "u1", words(20)), hit("b", "u2", words(20))};
  const std::vector<ChatRequestMessage> messages{chat_message("user", "question")};
  auto fitted = fit_grounded_messages(messages, hits, 1000, words_of);
  EXPECT_EQ(hits.size(), 2u);
  EXPECT_EQ(fitted.size(), 2u);
}

TEST(FitGroundedMessages, DropsLaterSourcesThenCutsTheFirst) {
  std::vector<search::SearchHit> hits{hit("a", "u1", words(60)), hit("b", "u2", words(60)), hit("c", "u3", words(60))};
  const std::vector<ChatRequestMessage> messages{chat_message("user", "question")};
  auto two = fit_grounded_messages(messages, hits, 150, words_of);
  EXPECT_EQ(hits.size(), 2u);
  EXPECT_LE(words_of(two), 150u);

  auto one = fit_grounded_messages(messages, hits, 50, words_of);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_LE(words_of(one), 50u);
  EXPECT_GE(words_of(one), 30u) << "the first source is cut to the room left, not dropped";
  EXPECT_EQ(hits[0].snippet.substr(0, 6), "w0 w1 ");
  EXPECT_EQ(one[0].content.find(hits[0].snippet) != std::string::npos, true);
}

TEST(FitGroundedMessages, NoRoomMeansNoSources) {
  std::vector<search::SearchHit> hits{hit("a", "u1", words(60))};
  const std::vector<ChatRequestMessage> messages{chat_message("user", words(40))};
  auto fitted = fit_grounded_messages(messages, hits, 45, words_of);
  EXPECT_TRUE(hits.empty());
  ASSERT_EQ(fitted.size(), 1u);
  EXPECT_EQ(fitted[0].role, "user");
}

TEST(SourceInfos, CarryWhatSearchResultsList) {
  const std::vector<search::SearchHit> hits{hit("hacker", "http://a/hacker", "text")};
  auto infos = source_infos(hits);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].url, "http://a/hacker");
  EXPECT_EQ(infos[0].title, "hacker");
  EXPECT_EQ(infos[0].snippet, "text");
  EXPECT_EQ(infos[0].date, "2003-12-29");
  EXPECT_FALSE(infos[0].last_updated);
}

ResponseMeta grounded_meta() {
  ResponseMeta meta{"chatcmpl-x", 1, "m", ""};
  meta.sources = std::vector<SourceInfo>{{"hacker", "http://a/hacker", "A person.", "2003-12-29", std::nullopt},
                                         {"kluge", "http://a/kluge", "A trick.", std::nullopt, std::nullopt}};
  return meta;
}

TEST(GroundedResponses, CarryCitationsAndSearchResults) {
  UsageCounts usage{10, 2, 0};
  usage.num_search_queries = 1;
  usage.search_context_size = "low";
  const std::vector<ChoiceResult> choices{{0, "A person [1].", "stop"}};
  const auto body = nlohmann::json::parse(chat_completion_json(grounded_meta(), choices, usage));
  EXPECT_EQ(body["citations"], nlohmann::json::parse(R"(["http://a/hacker","http://a/kluge"])"));
  ASSERT_EQ(body["search_results"].size(), 2u);
  EXPECT_EQ(body["search_results"][0],
            nlohmann::json::parse(R"({"title":"hacker","url":"http://a/hacker","date":"2003-12-29",
                                      "last_updated":null,"snippet":"A person.","source":"web"})"));
  EXPECT_EQ(body["usage"]["num_search_queries"], 1);
  EXPECT_EQ(body["usage"]["search_context_size"], "low");

  const auto plain = nlohmann::json::parse(chat_completion_json(ResponseMeta{"chatcmpl-x", 1, "m", ""}, choices, UsageCounts{10, 2, 0}));
  EXPECT_FALSE(plain.contains("citations"));
  EXPECT_FALSE(plain.contains("search_results"));
  EXPECT_FALSE(plain["usage"].contains("num_search_queries"));
}

TEST(GroundedResponses, StreamsSendSourcesOnTheFirstAndLastChunks) {
  const ResponseMeta meta = grounded_meta();
  auto chunk = [&](ChoiceDelta d) { return nlohmann::json::parse(chat_completion_chunk_json(meta, d, true)); };
  EXPECT_TRUE(chunk(ChoiceDelta{0, true, ""}).contains("citations"));
  EXPECT_FALSE(chunk(ChoiceDelta{0, false, "A person"}).contains("citations"));
  const auto last = chunk(ChoiceDelta{0, false, "", std::nullopt, "stop"});
  EXPECT_TRUE(last.contains("citations"));
  EXPECT_EQ(last["search_results"].size(), 2u);
  const auto usage = nlohmann::json::parse(chat_usage_chunk_json(meta, UsageCounts{1, 1, 0}));
  EXPECT_TRUE(usage.contains("search_results"));
}

}  // namespace
}  // namespace tachyon
