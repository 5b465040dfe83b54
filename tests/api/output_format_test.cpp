#include "api/output_format.h"

#include <chrono>

#include <gtest/gtest.h>

#include "api/json_fields.h"

#include "api/chat_request.h"
#include "api/structured_output.h"
#include "constrain/grammar_matcher.h"

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

Result<std::optional<OutputFormat>> parse(const char* text) {
  return parse_output_format(ojson::parse(text), "response_format", false);
}

TEST(OutputFormat, ReadsOpenAIAndPerplexityForms) {
  auto text = parse(R"({"type": "text"})");
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->has_value());
  auto object = parse(R"({"type": "json_object"})");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ((*object)->kind, OutputFormat::Kind::JsonObject);
  auto schema = parse(R"({"type": "json_schema", "json_schema": {"name": "p", "strict": true,
    "schema": {"type": "object", "properties": {"z": {"type": "string"}, "a": {"type": "integer"}}}}})");
  ASSERT_TRUE(schema.ok()) << schema.error().message;
  EXPECT_EQ((*schema)->kind, OutputFormat::Kind::JsonSchema);
  EXPECT_TRUE((*schema)->strict);
  EXPECT_EQ((*schema)->name, "p");
  EXPECT_EQ((*schema)->schema["properties"].begin().key(), "z");  // the order as sent
  auto regex = parse(R"({"type": "regex", "regex": {"regex": "\\d{4}"}})");
  ASSERT_TRUE(regex.ok());
  EXPECT_EQ((*regex)->kind, OutputFormat::Kind::Regex);
  EXPECT_EQ((*regex)->regex, "\\d{4}");
}

TEST(OutputFormat, MalformedFormatsAre400s) {
  for (const char* bad : {R"({})", R"({"type": "xml"})", R"({"type": "json_schema"})",
                          R"({"type": "json_schema", "json_schema": {}})", R"({"type": "regex", "regex": "x"})",
                          R"({"type": "json_schema", "json_schema": {"schema": {}, "strict": "yes"}})", R"("text")"}) {
    auto format = parse(bad);
    ASSERT_FALSE(format.ok()) << bad;
    EXPECT_EQ(format.error().param, "response_format") << bad;
  }
}

TEST(JsonNesting, CountsBracketsOutsideStringsAndStopsPastTheLimit) {
  EXPECT_EQ(json_nesting_depth("{}"), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}],"c":{}})"), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[{{{","b":"\"[[["})"), 1);  // brackets in strings, escaped quote
  EXPECT_EQ(json_nesting_depth("not json ]]] at all"), 0);
  const std::string deep = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(json_nesting_depth(deep), kMaxJsonDepth);
  EXPECT_EQ(json_nesting_depth("[" + deep + "]"), kMaxJsonDepth + 1);
  EXPECT_EQ(json_nesting_depth(std::string(1000000, '[')), kMaxJsonDepth + 1);  // stops scanning early
}

TEST(OrderedJson, KeepsKeyOrderInLinearTime) {
  auto parsed = parse_ordered_json_object(R"({"z": 1, "a": {"y": [1, {"c": 2, "b": 3}], "x": null}, "z": 4})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->dump(), R"({"z":4,"a":{"y":[1,{"c":2,"b":3}],"x":null}})");  // a repeated key keeps its place
  EXPECT_FALSE(parse_ordered_json_object("[1]").ok());
  auto bad = parse_ordered_json_object(R"({"a": )");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Invalid JSON"), std::string::npos);
  // 200,000 keys in one object: quadratic insertion would take minutes.
  std::string wide = "{";
  for (int i = 0; i < 200000; ++i) wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  wide += "}";
  const auto start = std::chrono::steady_clock::now();
  auto many = parse_ordered_json_object(wide);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->size(), 200000u);
  EXPECT_EQ(many->begin().key(), "k0");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(OutputFormat, ChatRequestsCarryTheFormat) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(
      R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_TRUE(request->params.output_format.has_value());
  EXPECT_EQ(request->params.output_format->kind, OutputFormat::Kind::JsonObject);
}

// A byte vocabulary: every single byte is a token, plus an end-of-generation token.
std::shared_ptr<const TokenVocabulary> byte_vocabulary() {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, char(b)));
  pieces.push_back("");
  return std::make_shared<const TokenVocabulary>(std::move(pieces), std::vector<int32_t>{256});
}

Result<std::shared_ptr<MaskCache>> output_grammar(const std::optional<OutputFormat>& format, const ToolRequest& tools) {
  static ConstraintCache cache;
  static const auto vocabulary = byte_vocabulary();
  return output_constraint(cache, vocabulary, format, tools);
}

TEST(StructuredOutput, CompilesFormatsAndForcedToolCalls) {
  auto none = output_grammar(std::nullopt, ToolRequest{});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), nullptr);
  OutputFormat object;
  auto json_object = output_grammar(object, ToolRequest{});
  ASSERT_TRUE(json_object.ok());
  EXPECT_NE(json_object.value(), nullptr);

  auto tools = parse_tool_request(ojson::parse(R"({"tools": [
    {"type": "function", "function": {"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}},
    {"type": "function", "function": {"name": "b"}}], "tool_choice": "required"})"));
  ASSERT_TRUE(tools.ok());
  const ojson schema = tool_call_schema(*tools);
  ASSERT_EQ(schema["anyOf"].size(), 2u);
  EXPECT_EQ(schema["anyOf"][0]["properties"]["name"]["const"], "a");
  EXPECT_EQ(schema["anyOf"][1]["properties"]["arguments"]["additionalProperties"], false);
  auto forced = output_grammar(std::nullopt, *tools);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  ASSERT_NE(forced.value(), nullptr);
  // The same constraint again is the same cache, masks and all.
  EXPECT_EQ(output_grammar(std::nullopt, *tools).value(), forced.value());
  GrammarMatcher matcher(forced.value());
  EXPECT_TRUE(matcher.accept_bytes(R"({"name": "b", "arguments": {}})"));
  EXPECT_TRUE(matcher.must_stop());
}

TEST(StructuredOutput, SchemaErrorsNameTheField) {
  OutputFormat strict;
  strict.kind = OutputFormat::Kind::JsonSchema;
  strict.strict = true;
  strict.schema = ojson::parse(R"({"type": "object", "properties": {"a": {"type": "string", "contentMediaType": "x"}}})");
  auto unsupported = output_grammar(strict, ToolRequest{});
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().param, "response_format");
  EXPECT_NE(unsupported.error().message.find("contentMediaType"), std::string::npos) << unsupported.error().message;

  OutputFormat regex;
  regex.kind = OutputFormat::Kind::Regex;
  regex.regex = "(unclosed";
  auto bad_regex = output_grammar(regex, ToolRequest{});
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.error().param, "response_format");

  auto tools = parse_tool_request(ojson::parse(R"({"tools": [{"type": "function", "function": {"name": "a",
    "strict": true, "parameters": {"type": "object", "patternProperties": {"x": {}}}}}]})"));
  ASSERT_TRUE(tools.ok());
  auto bad_tool = output_grammar(std::nullopt, *tools);
  ASSERT_FALSE(bad_tool.ok());
  EXPECT_EQ(bad_tool.error().param, "tools[0].function.parameters");
}

}  // namespace
}  // namespace tachyon
