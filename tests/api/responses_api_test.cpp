// The Responses API's request mapping and the translation of chat output into Response objects
// and typed stream events.
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
      {R"({"model": "m", "input": "hi", "tools": [{"type": "web_search"}]})", "tools[0]"},
  };
  for (const Case& c : cases) {
    Result<ResponsesRequest> r = parse_responses_request(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
  }
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

}  // namespace
}  // namespace tachyon
