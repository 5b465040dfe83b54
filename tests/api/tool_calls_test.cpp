#include "api/tool_calls.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/chat_request.h"
#include "api/tool_prompt.h"

namespace tachyon {
namespace {

ToolRequest two_tools(const char* choice = "\"auto\"") {
  const auto body = nlohmann::ordered_json::parse(std::string(R"({"tools": [
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "get_time"}}], "tool_choice": )") + choice + "}");
  Result<ToolRequest> tools = parse_tool_request(body);
  EXPECT_TRUE(tools.ok()) << tools.error().message;
  return tools.value();
}

TEST(ToolRequest, ParsesToolsAndChoices) {
  ToolRequest tools = two_tools();
  ASSERT_EQ(tools.functions.size(), 2u);
  EXPECT_EQ(tools.choice, ToolRequest::Choice::Auto);
  EXPECT_TRUE(tools.active());
  EXPECT_FALSE(tools.forced());
  EXPECT_EQ(tools.tools_json[1]["function"]["parameters"]["type"], "object");  // filled in for templates
  ToolRequest named = two_tools(R"({"type": "function", "function": {"name": "get_time"}})");
  EXPECT_EQ(named.choice, ToolRequest::Choice::Named);
  EXPECT_EQ(named.named, "get_time");
  EXPECT_TRUE(named.forced());
}

TEST(ToolRequest, RejectsBadToolsNamingTheField) {
  struct Case {
    const char* body;
    const char* param;
  };
  const Case cases[] = {
      {R"({"tools": {}})", "tools"},
      {R"({"tools": [{"type": "retrieval"}]})", "tools[0]"},
      {R"({"tools": [{"type": "function", "function": {"name": "has space"}}]})", "tools[0].function"},
      {R"({"tools": [{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}}]})",
       "tools[1]"},
      {R"({"tools": [{"type": "function", "function": {"name": "a", "parameters": []}}]})", "tools[0].function"},
      {R"({"tool_choice": "required"})", "tool_choice"},
      {R"({"tools": [{"type": "function", "function": {"name": "a"}}], "tool_choice": "sometimes"})", "tool_choice"},
      {R"({"tools": [{"type": "function", "function": {"name": "a"}}],
           "tool_choice": {"type": "function", "function": {"name": "b"}}})", "tool_choice"},
      {R"({"tools": [{"type": "function", "function": {"name": "a"}}], "parallel_tool_calls": 1})", "parallel_tool_calls"},
  };
  for (const Case& c : cases) {
    Result<ToolRequest> tools = parse_tool_request(nlohmann::ordered_json::parse(c.body));
    ASSERT_FALSE(tools.ok()) << c.body;
    EXPECT_EQ(tools.error().param, c.param) << c.body;
  }
}

TEST(ToolCalls, ForcedCallKeepsTheExactArgumentsText) {
  ToolRequest tools = two_tools("\"required\"");
  ParsedToolOutput out = parse_tool_output(R"({"name":"get_weather","arguments":{"city":"Paris"}})", tools, true);
  ASSERT_EQ(out.calls.size(), 1u);
  EXPECT_EQ(out.calls[0].name, "get_weather");
  EXPECT_EQ(out.calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_TRUE(out.calls[0].id.starts_with("call_"));
  EXPECT_TRUE(out.content.empty());
  // Cut short by max_tokens: no call, the text as content.
  ParsedToolOutput cut = parse_tool_output(R"({"name":"get_weather","argu)", tools, true);
  EXPECT_TRUE(cut.calls.empty());
  EXPECT_EQ(cut.content, R"({"name":"get_weather","argu)");
}

TEST(ToolCalls, RecognisesTheModelFamiliesSyntax) {
  ToolRequest tools = two_tools();
  struct Case {
    const char* text;
    const char* name;
    const char* arguments;
    const char* content;
  };
  const Case cases[] = {
      {"<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", "get_weather",
       R"({"city":"Oslo"})", ""},
      {"Let me look.\n<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>", "get_time", "{}",
       "Let me look."},
      {"[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]", "get_weather",
       R"({"city":"Rome"})", ""},
      {"[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]", "get_weather", R"({"city":"Rome"})", ""},
      {"{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}", "get_weather", R"({"city":"Lima"})", ""},
      {"<|python_tag|>{\"name\": \"get_time\", \"parameters\": {}}", "get_time", "{}", ""},
      {"{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Kyiv\\\"}\"}", "get_weather",
       R"({"city":"Kyiv"})", ""},
  };
  for (const Case& c : cases) {
    ParsedToolOutput out = parse_tool_output(c.text, tools, false);
    ASSERT_EQ(out.calls.size(), 1u) << c.text;
    EXPECT_EQ(out.calls[0].name, c.name) << c.text;
    EXPECT_EQ(out.calls[0].arguments, c.arguments) << c.text;
    EXPECT_EQ(out.content, c.content) << c.text;
  }
}

TEST(ToolCalls, PlainTextAndUnknownFunctionsStayContent) {
  ToolRequest tools = two_tools();
  for (const char* text : {"It is sunny.", R"({"name": "launch_rockets", "arguments": {}})", R"({"city": "Paris"})",
                           "<tool_call>not json</tool_call>"}) {
    ParsedToolOutput out = parse_tool_output(text, tools, false);
    EXPECT_TRUE(out.calls.empty()) << text;
    EXPECT_EQ(out.content, text);
  }
}

TEST(ToolCalls, StreamedArgumentsConcatenateToTheBodysArguments) {
  ToolRequest tools = two_tools("\"required\"");
  const std::string text = R"({"name":"get_weather","arguments":{"city":"Par}is","n":{"a":1}}})";
  const ParsedToolOutput whole = parse_tool_output(text, tools, true);
  ASSERT_EQ(whole.calls.size(), 1u);
  // Every way of cutting the text into pieces gives the same name and arguments.
  for (size_t step = 1; step <= 7; ++step) {
    ForcedCallStream stream;
    std::string name, arguments;
    int headers = 0;
    auto take = [&](const std::vector<ForcedCallStream::Delta>& deltas) {
      for (const auto& d : deltas) {
        if (d.header) {
          ++headers;
          name = d.name;
        }
        arguments += d.arguments;
      }
    };
    for (size_t i = 0; i < text.size(); i += step) take(stream.feed(text.substr(i, step)));
    take(stream.finish());
    EXPECT_EQ(headers, 1) << step;
    EXPECT_EQ(name, "get_weather") << step;
    EXPECT_EQ(arguments, whole.calls[0].arguments) << step;
  }
}

TEST(ToolCalls, HoldsBackTextThatMayBecomeACall) {
  EXPECT_TRUE(may_start_tool_call(""));
  EXPECT_TRUE(may_start_tool_call("  {\"na"));
  EXPECT_TRUE(may_start_tool_call("<tool_"));
  EXPECT_TRUE(may_start_tool_call("[TOOL"));
  EXPECT_FALSE(may_start_tool_call("The weather"));
  EXPECT_FALSE(may_start_tool_call("<b>"));
}

TEST(ToolPrompt, DescribesToolsForTemplatesWithoutToolSupport) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(R"({"model": "m", "messages": [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18 C"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->messages[2].name, "get_weather");  // from the call it answers

  std::vector<ChatMessage> plain = template_messages(request->messages, request->tools, false);
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_EQ(plain[0].role, "system");
  EXPECT_NE(plain[0].content.find("- get_weather({city?: string}): Weather now"), std::string::npos) << plain[0].content;
  EXPECT_EQ(plain[2].content, R"({"name":"get_weather","arguments":{"city":"Paris"}})");
  EXPECT_EQ(plain[3].role, "user");
  EXPECT_EQ(plain[3].content, "Result of get_weather (call call_1): 18 C");

  std::vector<ChatMessage> native = template_messages(request->messages, request->tools, true);
  ASSERT_EQ(native.size(), 3u);
  EXPECT_EQ(native[1].tool_calls[0]["function"]["arguments"]["city"], "Paris");  // an object for tojson
  EXPECT_EQ(native[2].role, "tool");
  // Ids become the 9 alphanumerics Mistral's templates demand, the same for call and result.
  const std::string id = native[1].tool_calls[0]["id"].get<std::string>();
  EXPECT_EQ(id.size(), 9u);
  EXPECT_EQ(native[2].tool_call_id, id);
}

// An OpenAI-style conversation (ids "call_...") renders through Mistral's template, which
// raises on ids that are not 9 alphanumerics.
TEST(ToolPrompt, OpenAIStyleCallIdsRenderThroughMistralsTemplate) {
  std::ifstream in(std::filesystem::path(TACHYON_TEST_DATA) / "chat_templates/mistralai-Mistral-Nemo-Instruct-2407.json");
  const nlohmann::json spec = nlohmann::json::parse(in);
  Result<ChatTemplate> tmpl = ChatTemplate::parse(spec.at("template").get<std::string>());
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
  ASSERT_TRUE(tmpl->supports_tools());
  Result<ChatCompletionRequest> request = parse_chat_completion_request(R"({"model": "m", "messages": [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_Zq81LmB2nX0aPwK7dRt5UvYc", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_Zq81LmB2nX0aPwK7dRt5UvYc", "content": "18 C"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}}}}}]})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  ChatTemplateOptions opts;
  opts.bos_token = spec.at("bos_token").get<std::string>();
  opts.eos_token = spec.at("eos_token").get<std::string>();
  opts.tools = request->tools.tools_json;
  Result<std::string> prompt = tmpl->render(template_messages(request->messages, request->tools, true), opts);
  ASSERT_TRUE(prompt.ok()) << prompt.error().message;
  EXPECT_NE(prompt->find("[TOOL_CALLS]"), std::string::npos) << *prompt;
  EXPECT_NE(prompt->find("18 C"), std::string::npos) << *prompt;
}

}  // namespace
}  // namespace tachyon
