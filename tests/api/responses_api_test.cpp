// The Responses API's request mapping and the translation of chat output into Response objects
// and typed stream events.
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "api/responses_request.h"
#include "api/responses_stream.h"

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

TEST(ResponsesRequest, MapsInputItemsToChatMessages) {
  Result<ResponsesRequest> r = parse_responses_request(R"({"model": "m", "instructions": "Be brief.",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
              {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"},
              {"type": "function_call_output", "call_id": "call_1", "output": "3 C"}],
    "max_output_tokens": 20, "text": {"format": {"type": "json_schema", "name": "w", "schema": {"type": "object"},
    "strict": true}}, "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
    "tool_choice": {"type": "function", "name": "get_weather"}, "stream": true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ojson chat = r->chat_body_with(ojson::array());
  ASSERT_EQ(chat["messages"].size(), 4u);
  EXPECT_EQ(chat["messages"][0], (ojson{{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(chat["messages"][1]["content"], "Weather?");
  EXPECT_EQ(chat["messages"][2]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(chat["messages"][3]["role"], "tool");
  EXPECT_EQ(chat["messages"][3]["tool_call_id"], "call_1");
  EXPECT_EQ(chat["max_tokens"], 20);
  EXPECT_EQ(chat["response_format"]["json_schema"]["name"], "w");
  EXPECT_EQ(chat["response_format"]["json_schema"]["strict"], true);
  EXPECT_EQ(chat["tools"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(chat["tool_choice"]["function"]["name"], "get_weather");
  EXPECT_EQ(chat["stream_options"]["include_usage"], true);
  EXPECT_TRUE(r->stream);
}

TEST(ResponsesRequest, RefusesWhatItCannotServe) {
  struct Case {
    const char* body;
    const char* param;
  };
  const Case cases[] = {
      {R"({"model": "m"})", "input"},
      {R"({"model": "m", "input": "hi", "previous_response_id": 5})", "previous_response_id"},
      {R"({"model": "m", "input": "hi", "store": "yes"})", "store"},
      {R"({"model": "m", "input": [{"type": "image", "url": "x"}]})", "input[0]"},
      {R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image"}]}]})", "input[0].content"},
      {R"({"model": "m", "input": "hi", "tools": [{"type": "code_interpreter"}]})", "tools[0]"},
      {R"({"model": "m", "input": "hi", "tools": [{"type": "web_search", "max_tokens": 9}]})", "tools[0].max_tokens"},
      {R"({"model": "m", "input": "hi", "tools": [{"type": "web_search", "filters": {"country": "US"}}]})",
       "tools[0].filters.country"},
      {R"({"model": "m", "input": "hi", "tools": [{"type": "web_search", "filters": []}]})", "tools[0].filters"},
  };
  for (const Case& c : cases) {
    Result<ResponsesRequest> r = parse_responses_request(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
  }
}

TEST(ResponsesRequest, AWebSearchToolBecomesGroundedChatOptions) {
  Result<ResponsesRequest> r = parse_responses_request(R"({"model": "m", "input": "What is a hacker?",
    "tools": [{"type": "web_search", "search_context_size": "high", "user_location": {"country": "NO"},
               "filters": {"search_domain_filter": ["catb.org"], "search_recency_filter": "year",
                           "search_after_date_filter": "1/1/2000"}}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ojson chat = r->chat_body_with(ojson::array());
  EXPECT_EQ(chat["web_search_options"]["search_context_size"], "high");
  EXPECT_EQ(chat["search_domain_filter"], ojson::array({"catb.org"}));
  EXPECT_EQ(chat["search_recency_filter"], "year");
  EXPECT_EQ(chat["search_after_date_filter"], "1/1/2000");
  EXPECT_FALSE(chat.contains("tools"));  // no function tools: plain grounded chat
  EXPECT_EQ(r->echo["tools"][0]["type"], "web_search");

  Result<ResponsesRequest> off = parse_responses_request(R"({"model": "m", "input": "hi", "disable_search": true})");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->chat_body_with(ojson::array())["disable_search"], true);
}

TEST(ResponsesRequest, ContinuesAfterEarlierTurnsWithoutTheirInstructions) {
  Result<ResponsesRequest> r = parse_responses_request(
      R"({"model": "m", "instructions": "New rules.", "input": "And now?", "previous_response_id": "resp_1", "store": false})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->previous_response_id, "resp_1");
  EXPECT_FALSE(r->store);
  const ojson previous = ojson::parse(R"({"output": [{"type": "message", "content": [{"type": "output_text", "text": "Hi."}]},
    {"type": "function_call", "call_id": "call_7", "name": "f", "arguments": "{}"}]})");
  ojson earlier = ojson::array({{{"role", "user"}, {"content", "Hello"}}});
  for (const ojson& m : response_output_messages(previous)) earlier.push_back(m);
  const ojson chat = r->chat_body_with(earlier);
  ASSERT_EQ(chat["messages"].size(), 4u);
  EXPECT_EQ(chat["messages"][0]["content"], "New rules.");
  EXPECT_EQ(chat["messages"][1]["content"], "Hello");
  EXPECT_EQ(chat["messages"][2]["content"], "Hi.");
  EXPECT_EQ(chat["messages"][2]["tool_calls"][0]["id"], "call_7");
  EXPECT_EQ(chat["messages"][3]["content"], "And now?");
}

TEST(ResponsesTranslator, CompletionBecomesAResponseObject) {
  ResponsesTranslator t("m", ojson{{"max_output_tokens", 5}});
  const ojson r = ojson::parse(t.from_completion(R"({"choices": [{"index": 0, "message": {"role": "assistant",
    "content": "Hi", "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    "finish_reason": "length"}], "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}})"));
  EXPECT_EQ(r["object"], "response");
  EXPECT_EQ(r["status"], "incomplete");
  EXPECT_EQ(r["incomplete_details"]["reason"], "max_output_tokens");
  ASSERT_EQ(r["output"].size(), 2u);
  EXPECT_EQ(r["output"][0]["content"][0]["text"], "Hi");
  EXPECT_EQ(r["output"][1]["type"], "function_call");
  EXPECT_EQ(r["output"][1]["call_id"], "call_9");
  EXPECT_EQ(r["usage"]["input_tokens"], 3);
  EXPECT_EQ(r["usage"]["output_tokens"], 5);
  EXPECT_EQ(r["usage"]["total_tokens"], 8);
  EXPECT_EQ(r["max_output_tokens"], 5);
}

TEST(ResponsesTranslator, ChunksBecomeTypedEventsInOrder) {
  ResponsesTranslator t("m", ojson::object());
  std::vector<std::string> events = t.start();
  auto add = [&](std::vector<std::string> more) { events.insert(events.end(), more.begin(), more.end()); };
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
    "function": {"name": "f", "arguments": ""}}]}, "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":"}}]},
    "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
    "finish_reason": "tool_calls"}]})"));
  add(t.on_chunk(R"({"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}})"));
  add(t.finish());
  std::vector<std::string> types;
  for (size_t i = 0; i < events.size(); ++i) {
    const ojson e = ojson::parse(events[i]);
    EXPECT_EQ(e["sequence_number"], i);
    types.push_back(e["type"].get<std::string>());
  }
  const std::vector<std::string> expected = {
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_item.added",
      "response.function_call_arguments.delta", "response.function_call_arguments.delta", "response.output_text.done",
      "response.content_part.done", "response.output_item.done", "response.function_call_arguments.done",
      "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, expected);
  const ojson done = ojson::parse(events.back())["response"];
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["output"][0]["content"][0]["text"], "Hello");
  EXPECT_EQ(done["output"][1]["arguments"], R"({"a":1})");
  EXPECT_EQ(done["usage"]["total_tokens"], 10);
}

constexpr const char* kSearchResults = R"([
  {"title": "hacker", "url": "http://www.catb.org/jargon/html/H/hacker.html", "date": null, "last_updated": "2003-12-29",
   "snippet": "hacker: n. A person who enjoys exploring", "source": "web"},
  {"title": "cracker", "url": "http://www.catb.org/jargon/html/C/cracker.html", "date": null, "last_updated": null,
   "snippet": "cracker: n. One who breaks security", "source": "web"}])";

// The url_citation annotations of a Response's message, as [start, end, url] triples.
std::vector<std::tuple<int, int, std::string>> citations_of(const ojson& message) {
  std::vector<std::tuple<int, int, std::string>> out;
  for (const ojson& a : message["content"][0]["annotations"]) {
    EXPECT_EQ(a["type"], "url_citation");
    out.emplace_back(a["start_index"].get<int>(), a["end_index"].get<int>(), a["url"].get<std::string>());
  }
  return out;
}

TEST(ResponsesTranslator, AGroundedAnswerListsItsSourcesAndAnnotatesItsMarkers) {
  ResponsesTranslator t("m", ojson::object());
  // "é" is one code point in two bytes; [3] names no source and [x] is no marker.
  const std::string chat = std::string(R"({"choices": [{"index": 0, "message": {"role": "assistant",
    "content": "A person [1]; é [2][3] [x]."}, "finish_reason": "stop"}],
    "citations": ["http://www.catb.org/jargon/html/H/hacker.html", "http://www.catb.org/jargon/html/C/cracker.html"],
    "search_results": )") + kSearchResults + "}";
  const ojson r = ojson::parse(t.from_completion(chat));
  ASSERT_EQ(r["output"].size(), 2u);
  const ojson& found = r["output"][0];
  EXPECT_EQ(found["type"], "search_results");
  ASSERT_EQ(found["results"].size(), 2u);
  EXPECT_EQ(found["results"][0]["id"], 1);
  EXPECT_EQ(found["results"][1]["id"], 2);
  EXPECT_EQ(found["results"][0]["last_updated"], "2003-12-29");
  EXPECT_FALSE(found["results"][0].contains("date"));
  const auto expected = std::vector<std::tuple<int, int, std::string>>{
      {9, 12, "http://www.catb.org/jargon/html/H/hacker.html"}, {16, 19, "http://www.catb.org/jargon/html/C/cracker.html"}};
  EXPECT_EQ(citations_of(r["output"][1]), expected);
  EXPECT_EQ(r["output"][1]["content"][0]["annotations"][0]["title"], "hacker");
}

TEST(ResponsesTranslator, AGroundedStreamSendsItsSourcesFirstAndItsAnnotationsBeforeTheTextIsDone) {
  ResponsesTranslator t("m", ojson::object());
  std::vector<std::string> events = t.start();
  auto add = [&](std::vector<std::string> more) { events.insert(events.end(), more.begin(), more.end()); };
  const std::string sources = std::string(R"("search_results": )") + kSearchResults;
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}], )" +
                 sources + "}"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"content": "A person ["}, "finish_reason": null}]})"));
  add(t.on_chunk(R"({"choices": [{"index": 0, "delta": {"content": "1]."}, "finish_reason": "stop"}], )" + sources + "}"));
  add(t.on_chunk(R"({"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}, )" +
                 sources + "}"));
  add(t.finish());
  std::vector<std::string> types;
  for (const std::string& e : events) types.push_back(ojson::parse(e)["type"].get<std::string>());
  const std::vector<std::string> expected = {
      "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
      "response.output_item.added", "response.content_part.added", "response.output_text.delta",
      "response.output_text.delta", "response.output_text.annotation.added", "response.output_text.done",
      "response.content_part.done", "response.output_item.done", "response.completed"};
  EXPECT_EQ(types, expected);
  EXPECT_EQ(ojson::parse(events[2])["item"]["type"], "search_results");
  const ojson added = ojson::parse(events[8]);
  EXPECT_EQ(added["output_index"], 1);
  EXPECT_EQ(added["annotation_index"], 0);
  EXPECT_EQ(added["annotation"]["start_index"], 9);
  const ojson done = ojson::parse(events.back())["response"];
  ASSERT_EQ(done["output"].size(), 2u);
  EXPECT_EQ(done["output"][0]["results"].size(), 2u);
  EXPECT_EQ(citations_of(done["output"][1]).size(), 1u);
  EXPECT_EQ(ojson::parse(t.final_response())["output"][0]["type"], "search_results");  // what is stored
}

}  // namespace
}  // namespace tachyon
