#include "api/responses.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

// Insertion-ordered, so key order can be checked against the documented one.
using json = nlohmann::ordered_json;

ResponseMeta chat_meta() {
  return ResponseMeta{.id = "chatcmpl-abc",
                      .created = 1700000000,
                      .model = "llama",
                      .system_fingerprint = "fp_tachyon"};
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

using Keys = std::vector<std::string>;

TEST(Responses, ResponseIdHasPrefixAndIsFresh) {
  std::string a = new_response_id("chatcmpl-");
  std::string b = new_response_id("chatcmpl-");
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(a.size(), 9u + 24u);
  EXPECT_NE(a, b);
  for (char c : a.substr(9)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

TEST(Responses, CodePointCount) {
  EXPECT_EQ(code_point_count(""), 0);
  EXPECT_EQ(code_point_count("abc"), 3);
  EXPECT_EQ(code_point_count("h\xC3\xA9llo"), 5);        // é
  EXPECT_EQ(code_point_count("\xF0\x9F\x98\x80!"), 2);   // emoji
}

TEST(Responses, ChatCompletionShape) {
  ChoiceResult choice{.index = 0, .text = "Hello there", .finish_reason = "stop"};
  UsageCounts usage{.prompt_tokens = 10, .completion_tokens = 3, .cached_tokens = 4};
  json body = json::parse(chat_completion_json(chat_meta(), std::span(&choice, 1), usage));

  // OpenAI's field order, as the reference documents it.
  EXPECT_EQ(keys_of(body), (Keys{"id", "object", "created", "model", "system_fingerprint",
                                 "choices", "usage"}));
  EXPECT_EQ(body["id"], "chatcmpl-abc");
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["created"], 1700000000);
  EXPECT_EQ(body["model"], "llama");
  EXPECT_EQ(body["system_fingerprint"], "fp_tachyon");

  ASSERT_EQ(body["choices"].size(), 1u);
  const json& c = body["choices"][0];
  EXPECT_EQ(keys_of(c), (Keys{"index", "message", "logprobs", "finish_reason"}));
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_EQ(c["message"]["content"], "Hello there");
  EXPECT_TRUE(c["message"]["refusal"].is_null());
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_EQ(c["finish_reason"], "stop");

  const json& u = body["usage"];
  EXPECT_EQ(u["prompt_tokens"], 10);
  EXPECT_EQ(u["completion_tokens"], 3);
  EXPECT_EQ(u["total_tokens"], 13);
  EXPECT_EQ(u["prompt_tokens_details"]["cached_tokens"], 4);
  EXPECT_FALSE(u.contains("cost"));
}

TEST(Responses, UsageCarriesCostAsPerplexityReturnsIt) {
  ChoiceResult choice{.index = 0, .text = "x", .finish_reason = "stop"};
  UsageCounts usage{.prompt_tokens = 27, .completion_tokens = 587, .cached_tokens = 0,
                    .cost = UsageCost{0.000081, 0.008805, 0.006, 0.014886}};
  json body = json::parse(chat_completion_json(chat_meta(), std::span(&choice, 1), usage));
  const json& cost = body["usage"]["cost"];
  EXPECT_EQ(keys_of(cost), (Keys{"input_tokens_cost", "output_tokens_cost", "request_cost", "total_cost"}));
  EXPECT_DOUBLE_EQ(cost["total_cost"].get<double>(), 0.014886);
  json chunk = json::parse(chat_usage_chunk_json(chat_meta(), usage));
  EXPECT_DOUBLE_EQ(chunk["usage"]["cost"]["request_cost"].get<double>(), 0.006);
}

TEST(Responses, ChatCompletionWithSeveralChoicesAndNoFingerprint) {
  std::vector<ChoiceResult> choices = {
      {.index = 0, .text = "a", .finish_reason = "stop"},
      {.index = 1, .text = "b", .finish_reason = "length"},
  };
  ResponseMeta meta = chat_meta();
  meta.system_fingerprint.clear();
  json body = json::parse(chat_completion_json(meta, choices, UsageCounts{}));
  EXPECT_TRUE(body["system_fingerprint"].is_null());
  ASSERT_EQ(body["choices"].size(), 2u);
  EXPECT_EQ(body["choices"][1]["index"], 1);
  EXPECT_EQ(body["choices"][1]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], 0);
}

TEST(Responses, ChatLogprobsShape) {
  ChoiceResult choice{.index = 0, .text = "Hi!", .finish_reason = "stop"};
  choice.logprobs = std::vector<TokenLogprobInfo>{
      {.token = "Hi", .logprob = -0.25f, .top = {{"Hi", -0.25f}, {"Hello", -1.5f}}},
      {.token = "!", .logprob = -std::numeric_limits<float>::infinity(), .top = {}},
  };
  json body = json::parse(chat_completion_json(chat_meta(), std::span(&choice, 1), UsageCounts{}));
  const json& logprobs = body["choices"][0]["logprobs"];
  EXPECT_EQ(keys_of(logprobs), (Keys{"content", "refusal"}));
  EXPECT_TRUE(logprobs["refusal"].is_null());
  ASSERT_EQ(logprobs["content"].size(), 2u);

  const json& first = logprobs["content"][0];
  EXPECT_EQ(keys_of(first), (Keys{"token", "logprob", "bytes", "top_logprobs"}));
  EXPECT_EQ(first["token"], "Hi");
  EXPECT_DOUBLE_EQ(first["logprob"].get<double>(), -0.25);
  EXPECT_EQ(first["bytes"], json::array({72, 105}));
  ASSERT_EQ(first["top_logprobs"].size(), 2u);
  EXPECT_EQ(keys_of(first["top_logprobs"][1]), (Keys{"token", "logprob", "bytes"}));
  EXPECT_EQ(first["top_logprobs"][1]["token"], "Hello");
  EXPECT_DOUBLE_EQ(first["top_logprobs"][1]["logprob"].get<double>(), -1.5);
  EXPECT_EQ(first["top_logprobs"][1]["bytes"], json::array({72, 101, 108, 108, 111}));

  // -inf has no JSON spelling; it is reported as OpenAI's floor.
  EXPECT_DOUBLE_EQ(logprobs["content"][1]["logprob"].get<double>(), -9999.0);
  EXPECT_TRUE(logprobs["content"][1]["top_logprobs"].empty());
}

TEST(Responses, PartialUtf8TokenKeepsRawBytes) {
  ChoiceResult choice{.index = 0, .text = "", .finish_reason = "length"};
  choice.logprobs = std::vector<TokenLogprobInfo>{{.token = "\xE2\x82", .logprob = -1.0f}};
  std::string text;
  ASSERT_NO_THROW(text = chat_completion_json(chat_meta(), std::span(&choice, 1), UsageCounts{}));
  json entry = json::parse(text)["choices"][0]["logprobs"]["content"][0];
  EXPECT_EQ(entry["bytes"], json::array({0xE2, 0x82}));
}

TEST(Responses, ChatChunkFirstCarriesRoleAndEmptyContent) {
  ChoiceDelta delta{.index = 0, .first = true};
  json body = json::parse(chat_completion_chunk_json(chat_meta(), delta, false));
  EXPECT_EQ(keys_of(body),
            (Keys{"id", "object", "created", "model", "system_fingerprint", "choices"}));
  EXPECT_EQ(body["object"], "chat.completion.chunk");
  EXPECT_EQ(body["id"], "chatcmpl-abc");
  ASSERT_EQ(body["choices"].size(), 1u);
  const json& c = body["choices"][0];
  EXPECT_EQ(keys_of(c), (Keys{"index", "delta", "logprobs", "finish_reason"}));
  EXPECT_EQ(c["delta"], (json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_TRUE(c["finish_reason"].is_null());
}

TEST(Responses, ChatChunkContentAndFinal) {
  ChoiceDelta content{.index = 2, .text = "Hel"};
  json body = json::parse(chat_completion_chunk_json(chat_meta(), content, false));
  EXPECT_EQ(body["choices"][0]["index"], 2);
  EXPECT_EQ(body["choices"][0]["delta"], (json{{"content", "Hel"}}));
  EXPECT_TRUE(body["choices"][0]["finish_reason"].is_null());

  ChoiceDelta final_delta{.index = 2, .finish_reason = "length"};
  body = json::parse(chat_completion_chunk_json(chat_meta(), final_delta, false));
  EXPECT_EQ(body["choices"][0]["delta"], json::object());
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_FALSE(body.contains("usage"));
}

TEST(Responses, ChatChunkWithLogprobs) {
  ChoiceDelta delta{.index = 0, .text = "a"};
  delta.logprobs = std::vector<TokenLogprobInfo>{{.token = "a", .logprob = -0.5f}};
  json body = json::parse(chat_completion_chunk_json(chat_meta(), delta, false));
  const json& logprobs = body["choices"][0]["logprobs"];
  ASSERT_EQ(logprobs["content"].size(), 1u);
  EXPECT_EQ(logprobs["content"][0]["token"], "a");
  EXPECT_EQ(logprobs["content"][0]["bytes"], json::array({97}));
}

TEST(Responses, IncludeUsageAddsNullUsageToChunksAndAFinalUsageChunk) {
  ChoiceDelta delta{.index = 0, .text = "x"};
  json chunk = json::parse(chat_completion_chunk_json(chat_meta(), delta, true));
  ASSERT_TRUE(chunk.contains("usage"));
  EXPECT_TRUE(chunk["usage"].is_null());

  UsageCounts usage{.prompt_tokens = 5, .completion_tokens = 7, .cached_tokens = 0};
  json last = json::parse(chat_usage_chunk_json(chat_meta(), usage));
  EXPECT_EQ(last["object"], "chat.completion.chunk");
  EXPECT_EQ(last["choices"], json::array());
  EXPECT_EQ(last["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(last["usage"]["completion_tokens"], 7);
  EXPECT_EQ(last["usage"]["total_tokens"], 12);
  EXPECT_EQ(last["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

TEST(Responses, TextCompletionShape) {
  ResponseMeta meta{.id = "cmpl-xyz", .created = 42, .model = "llama", .system_fingerprint = ""};
  ChoiceResult choice{.index = 0, .text = " world", .finish_reason = "length"};
  UsageCounts usage{.prompt_tokens = 2, .completion_tokens = 1, .cached_tokens = 0};
  json body = json::parse(text_completion_json(meta, std::span(&choice, 1), usage));
  EXPECT_EQ(keys_of(body), (Keys{"id", "object", "created", "model", "system_fingerprint",
                                 "choices", "usage"}));
  EXPECT_EQ(body["id"], "cmpl-xyz");
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["created"], 42);
  const json& c = body["choices"][0];
  EXPECT_EQ(keys_of(c), (Keys{"index", "text", "logprobs", "finish_reason"}));
  EXPECT_EQ(c["text"], " world");
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_EQ(c["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], 3);
}

TEST(Responses, TextCompletionLogprobsShape) {
  ResponseMeta meta{.id = "cmpl-xyz", .created = 42, .model = "llama", .system_fingerprint = ""};
  ChoiceResult choice{.index = 0, .text = " h\xC3\xA9!", .finish_reason = "stop", .text_offset = 5};
  choice.logprobs = std::vector<TokenLogprobInfo>{
      {.token = " h\xC3\xA9", .logprob = -0.1f, .top = {{" h\xC3\xA9", -0.1f}, {" ha", -2.0f}}},
      {.token = "!", .logprob = -0.5f, .top = {{"!", -0.5f}, {"!", -3.0f}}},
  };
  json body = json::parse(text_completion_json(meta, std::span(&choice, 1), UsageCounts{}));
  const json& logprobs = body["choices"][0]["logprobs"];
  EXPECT_EQ(keys_of(logprobs), (Keys{"tokens", "token_logprobs", "top_logprobs", "text_offset"}));
  EXPECT_EQ(logprobs["tokens"], (json{" h\xC3\xA9", "!"}));
  ASSERT_EQ(logprobs["token_logprobs"].size(), 2u);
  EXPECT_NEAR(logprobs["token_logprobs"][0].get<double>(), -0.1, 1e-6);
  EXPECT_DOUBLE_EQ(logprobs["token_logprobs"][1].get<double>(), -0.5);
  ASSERT_EQ(logprobs["top_logprobs"].size(), 2u);
  EXPECT_DOUBLE_EQ(logprobs["top_logprobs"][0][" ha"].get<double>(), -2.0);
  // Two alternatives with the same text: the first (more likely) one is kept.
  EXPECT_EQ(logprobs["top_logprobs"][1].size(), 1u);
  EXPECT_DOUBLE_EQ(logprobs["top_logprobs"][1]["!"].get<double>(), -0.5);
  // Offsets count code points from the given start: " hé" is 3 of them.
  EXPECT_EQ(logprobs["text_offset"], (json{5, 8}));
}

TEST(Responses, TextCompletionChunks) {
  ResponseMeta meta{.id = "cmpl-xyz", .created = 42, .model = "llama", .system_fingerprint = ""};
  ChoiceDelta delta{.index = 1, .text = "abc"};
  json body = json::parse(text_completion_chunk_json(meta, delta, false));
  EXPECT_EQ(keys_of(body), (Keys{"id", "object", "created", "model", "system_fingerprint",
                                 "choices"}));
  EXPECT_EQ(body["object"], "text_completion");
  const json& c = body["choices"][0];
  EXPECT_EQ(keys_of(c), (Keys{"index", "text", "logprobs", "finish_reason"}));
  EXPECT_EQ(c["index"], 1);
  EXPECT_EQ(c["text"], "abc");
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_TRUE(c["finish_reason"].is_null());

  ChoiceDelta final_delta{.index = 1, .finish_reason = "stop"};
  body = json::parse(text_completion_chunk_json(meta, final_delta, true));
  EXPECT_EQ(body["choices"][0]["text"], "");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(body["usage"].is_null());

  json usage = json::parse(text_completion_usage_chunk_json(meta, UsageCounts{3, 4, 1}));
  EXPECT_EQ(usage["object"], "text_completion");
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
}

TEST(Responses, ModelList) {
  std::vector<ModelCard> models = {{.id = "llama-3.2-1b", .created = 1700000000},
                                   {.id = "qwen", .created = 5, .owned_by = "me"}};
  json body = json::parse(model_list_json(models));
  EXPECT_EQ(keys_of(body), (Keys{"object", "data"}));
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  const json& first = body["data"][0];
  EXPECT_EQ(keys_of(first), (Keys{"id", "object", "created", "owned_by"}));
  EXPECT_EQ(first["id"], "llama-3.2-1b");
  EXPECT_EQ(first["object"], "model");
  EXPECT_EQ(first["created"], 1700000000);
  EXPECT_EQ(first["owned_by"], "tachyon");
  EXPECT_EQ(body["data"][1]["owned_by"], "me");

  EXPECT_EQ(model_list_json({}), R"({"object":"list","data":[]})");
}

TEST(Responses, SingleModel) {
  EXPECT_EQ(model_json(ModelCard{.id = "m", .created = 7}),
            R"({"id":"m","object":"model","created":7,"owned_by":"tachyon"})");
}

TEST(Responses, InvalidUtf8TextNeverThrows) {
  ChoiceResult choice{.index = 0, .text = "bad \xFF", .finish_reason = "stop"};
  std::string text;
  ASSERT_NO_THROW(text = chat_completion_json(chat_meta(), std::span(&choice, 1), UsageCounts{}));
  EXPECT_EQ(json::parse(text)["choices"][0]["message"]["content"], "bad \xEF\xBF\xBD");
  ChoiceDelta delta{.index = 0, .text = "\xC3"};
  ASSERT_NO_THROW(text = chat_completion_chunk_json(chat_meta(), delta, false));
  ASSERT_NO_THROW(text = text_completion_chunk_json(chat_meta(), delta, false));
}

}  // namespace
}  // namespace tachyon
