#include "api/chat_request.h"

#include <gtest/gtest.h>

namespace tachyon {
namespace {

// A chat body with the given messages array and extra fields.
std::string chat_body(const std::string& messages, const std::string& fields = "") {
  return R"({"model":"m","messages":)" + messages + (fields.empty() ? "" : "," + fields) + "}";
}

constexpr const char* kHello = R"([{"role":"user","content":"Hello"}])";

TEST(ChatRequest, ParsesMinimalRequest) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(kHello));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->params.model, "m");
  ASSERT_EQ(request->messages.size(), 1u);
  EXPECT_EQ(request->messages[0].role, "user");
  EXPECT_EQ(request->messages[0].content, "Hello");
  EXPECT_FALSE(request->params.sampling.logprobs);
}

TEST(ChatRequest, ReadsEveryRole) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(R"([
    {"role":"system","content":"s"}, {"role":"developer","content":"d"},
    {"role":"user","content":"u"}, {"role":"assistant","content":"a"},
    {"role":"tool","content":"t","tool_call_id":"call_1"}])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->messages.size(), 5u);
  const char* roles[] = {"system", "system", "user", "assistant", "tool"};
  const char* contents[] = {"s", "d", "u", "a", "t"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(request->messages[i].role, roles[i]);
    EXPECT_EQ(request->messages[i].content, contents[i]);
  }
}

TEST(ChatRequest, ToolTurnsTakeTheNameOfTheCallTheyAnswer) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(R"([
    {"role":"user","content":"u"},
    {"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"first","arguments":"{}"}},
                                      {"id":"b","type":"function","function":{"name":"second","arguments":"{}"}}]},
    {"role":"tool","content":"1","tool_call_id":"b"}, {"role":"tool","content":"2","tool_call_id":"a"},
    {"role":"tool","content":"3","tool_call_id":"nobody"}, {"role":"tool","content":"4","tool_call_id":"a","name":"given"}])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->messages.size(), 6u);
  EXPECT_EQ(request->messages[2].name, "second");
  EXPECT_EQ(request->messages[3].name, "first");
  EXPECT_EQ(request->messages[4].name, "");
  EXPECT_EQ(request->messages[5].name, "given");
}

TEST(ChatRequest, ConcatenatesTextContentParts) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(R"([
    {"role":"user","content":[{"type":"text","text":"Hello, "},{"type":"text","text":"world"}]}])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->messages[0].content, "Hello, world");
}

TEST(ChatRequest, EmptyContentPartArrayIsEmptyText) {
  Result<ChatCompletionRequest> request =
      parse_chat_completion_request(chat_body(R"([{"role":"user","content":[]}])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->messages[0].content, "");
}

TEST(ChatRequest, AssistantMayHaveNullOrMissingContent) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(R"([
    {"role":"user","content":"q"},
    {"role":"assistant","content":null,"tool_calls":[]},
    {"role":"assistant"}])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->messages[1].content, "");
  EXPECT_EQ(request->messages[2].content, "");
}

TEST(ChatRequest, LogprobsAndTopLogprobs) {
  Result<ChatCompletionRequest> request =
      parse_chat_completion_request(chat_body(kHello, R"("logprobs": true, "top_logprobs": 20)"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_TRUE(request->params.sampling.logprobs);
  EXPECT_EQ(request->params.sampling.n_top_logprobs, 20);

  request = parse_chat_completion_request(chat_body(kHello, R"("top_logprobs": 0)"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_FALSE(request->params.sampling.logprobs);
}

TEST(ChatRequest, SharedFieldsAreParsed) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(
      chat_body(kHello, R"("temperature": 0, "max_tokens": 8, "stream": true)"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->params.sampling.temperature, 0.0f);
  EXPECT_EQ(request->params.max_tokens, 8);
  EXPECT_TRUE(request->params.stream);
}

TEST(ChatRequest, PerplexityRequestIsAccepted) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(
      R"([{"role":"system","content":"Be precise."},{"role":"user","content":"Why?"}])",
      R"("search_domain_filter": ["-reddit.com"], "return_images": false,
         "return_related_questions": false, "search_recency_filter": "month",
         "web_search_options": {"search_context_size": "low"})"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->messages.size(), 2u);
}

TEST(ChatRequest, MalformedJsonIs400WithoutParam) {
  // The last one was found by fuzz/chat_request_fuzz: a number too large for a double threw
  // out of the parser instead of becoming a 400.
  for (const char* body : {"", "{", R"({"model": "m",})", "not json", R"({"model": "m"} x)",
                           R"({"model": "m", "seed": 9999999999e999999999})"}) {
    Result<ChatCompletionRequest> request = parse_chat_completion_request(body);
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.error().kind, ErrorKind::InvalidArgument);
    EXPECT_EQ(request.error().param, "") << body;
    EXPECT_NE(request.error().message.find("Invalid JSON"), std::string::npos) << body;
  }
}

TEST(ChatRequest, NonObjectBodyIs400) {
  for (const char* body : {"[]", "42", "\"text\"", "null"}) {
    Result<ChatCompletionRequest> request = parse_chat_completion_request(body);
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.error().param, "");
  }
}

struct BadChat {
  std::string body;
  const char* param;
};

class ChatRequestRejects : public ::testing::TestWithParam<BadChat> {};

TEST_P(ChatRequestRejects, WithParamNamed) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(GetParam().body);
  ASSERT_FALSE(request.ok()) << GetParam().body;
  EXPECT_EQ(request.error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(request.error().param, GetParam().param)
      << GetParam().body << ": " << request.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Validation, ChatRequestRejects,
    ::testing::Values(
        BadChat{R"({"model":"m"})", "messages"},
        BadChat{R"({"messages":[{"role":"user","content":"x"}]})", "model"},
        BadChat{chat_body("[]"), "messages"},
        BadChat{chat_body(R"("hello")"), "messages"},
        BadChat{chat_body(R"({"role":"user","content":"x"})"), "messages"},
        BadChat{chat_body(R"(["hello"])"), "messages[0]"},
        BadChat{chat_body(R"([{"content":"x"}])"), "messages[0].role"},
        BadChat{chat_body(R"([{"role":5,"content":"x"}])"), "messages[0].role"},
        BadChat{chat_body(R"([{"role":"user","content":"a"},{"role":"robot","content":"x"}])"),
                "messages[1].role"},
        BadChat{chat_body(R"([{"role":"function","content":"x"}])"), "messages[0].role"},
        BadChat{chat_body(R"([{"role":"user"}])"), "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":null}])"), "messages[0].content"},
        BadChat{chat_body(R"([{"role":"system","content":42}])"), "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":{"type":"text","text":"x"}}])"),
                "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":"a"},{"role":"user","content":[
                  {"type":"text","text":"see"},
                  {"type":"image_url","image_url":{"url":"http://x/y.png"}}]}])"),
                "messages[1].content"},
        BadChat{chat_body(R"([{"role":"user","content":[{"type":"input_audio"}]}])"),
                "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":["plain"]}])"), "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":[{"text":"no type"}]}])"),
                "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":[{"type":"text"}]}])"),
                "messages[0].content"},
        BadChat{chat_body(R"([{"role":"user","content":[{"type":"text","text":1}]}])"),
                "messages[0].content"},
        BadChat{chat_body(kHello, R"("logprobs": "yes")"), "logprobs"},
        BadChat{chat_body(kHello, R"("logprobs": 1)"), "logprobs"},
        BadChat{chat_body(kHello, R"("top_logprobs": 3)"), "top_logprobs"},
        BadChat{chat_body(kHello, R"("logprobs": false, "top_logprobs": 3)"), "top_logprobs"},
        BadChat{chat_body(kHello, R"("logprobs": true, "top_logprobs": 21)"), "top_logprobs"},
        BadChat{chat_body(kHello, R"("logprobs": true, "top_logprobs": -1)"), "top_logprobs"},
        BadChat{chat_body(kHello, R"("temperature": 5)"), "temperature"},
        BadChat{chat_body(kHello, R"("response_format": {"type": "json_schema"})"),
                "response_format"}));

TEST(ChatRequest, UnsupportedPartMessageNamesTheType) {
  Result<ChatCompletionRequest> request = parse_chat_completion_request(chat_body(
      R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}])"));
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message.find("image_url"), std::string::npos);
}

}  // namespace
}  // namespace tachyon
