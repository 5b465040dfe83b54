#include "api/embeddings_api.h"

#include <cmath>
#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

using Texts = std::vector<std::string>;
using TokenLists = std::vector<std::vector<int32_t>>;

TEST(EmbeddingsApi, ParsesEveryInputShape) {
  auto r = parse_embeddings_request(R"({"model":"m","input":"hello"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(std::get<Texts>(r->input), Texts{"hello"});
  EXPECT_EQ(r->encoding, EmbeddingEncoding::Float);
  EXPECT_FALSE(r->user.has_value());

  r = parse_embeddings_request(R"({"model":"m","input":["a","b"],"encoding_format":"base64","user":"u-1"})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<Texts>(r->input), (Texts{"a", "b"}));
  EXPECT_EQ(r->encoding, EmbeddingEncoding::Base64);
  EXPECT_EQ(r->user, "u-1");

  r = parse_embeddings_request(R"({"model":"m","input":[101, 7, 102.0]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<TokenLists>(r->input), (TokenLists{{101, 7, 102}}));

  r = parse_embeddings_request(R"({"model":"m","input":[[1,2],[3]],"encoding_format":"float","dimensions":null})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<TokenLists>(r->input), (TokenLists{{1, 2}, {3}}));
  EXPECT_FALSE(r->truncate);

  r = parse_embeddings_request(R"({"model":"m","input":"x","truncate":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->truncate);
  EXPECT_FALSE(r->dimensions);

  r = parse_embeddings_request(R"({"model":"m","input":"x","dimensions":64})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dimensions, 64);
}

TEST(EmbeddingsApi, DimensionsShortenOnlyMatryoshkaModels) {
  EXPECT_TRUE(check_dimensions(384, 384, false, "m").ok());  // the model's own size: always fine
  EXPECT_TRUE(check_dimensions(64, 384, true, "m").ok());
  auto fewer = check_dimensions(64, 384, false, "minilm");
  ASSERT_FALSE(fewer.ok());
  EXPECT_EQ(fewer.error().param, "dimensions");
  EXPECT_NE(fewer.error().message.find("--matryoshka minilm"), std::string::npos) << fewer.error().message;
  auto more = check_dimensions(385, 384, true, "m");
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().param, "dimensions");
  EXPECT_NE(more.error().message.find("more than the 384"), std::string::npos) << more.error().message;

  // The first values, scaled back to unit length: (0.6, 0.48, 0.64) -> (0.6, 0.48) / 0.768...
  std::vector<std::vector<float>> vectors = {{0.6f, 0.48f, 0.64f}, {0.0f, 0.0f, 1.0f}, {1.0f, 0.0f}};
  shorten_vectors(vectors, 2);
  EXPECT_NEAR(vectors[0][0], 0.6 / std::hypot(0.6, 0.48), 1e-6);
  EXPECT_NEAR(vectors[0][1], 0.48 / std::hypot(0.6, 0.48), 1e-6);
  EXPECT_EQ(vectors[0].size(), 2u);
  EXPECT_EQ(vectors[1], (std::vector<float>{0.0f, 0.0f}));  // nothing left to scale
  EXPECT_EQ(vectors[2], (std::vector<float>{1.0f, 0.0f}));
}

TEST(EmbeddingsApi, RejectsInvalidRequestsNamingTheParam) {
  struct Case {
    std::string body;
    const char* param;
    const char* words;  // a piece of the message
  };
  const std::string many = [] {
    nlohmann::json j = {{"model", "m"}, {"input", std::vector<std::string>(2049, "x")}};
    return j.dump();
  }();
  const Case cases[] = {
      {"[1]", "", "JSON object"},
      {R"({"input":"x"})", "model", "model"},
      {R"({"model":3,"input":"x"})", "model", "string"},
      {R"({"model":"","input":"x"})", "model", "empty"},
      {R"({"model":"m"})", "input", "Missing"},
      {R"({"model":"m","input":null})", "input", "Missing"},
      {R"({"model":"m","input":""})", "input", "empty"},
      {R"({"model":"m","input":[]})", "input", "empty"},
      {R"({"model":"m","input":["a",""]})", "input", "input[1]"},
      {R"({"model":"m","input":["a",3]})", "input", "input[1]"},
      {R"({"model":"m","input":[1,"a"]})", "input", "token ids"},
      {R"({"model":"m","input":[1,-2]})", "input", "non-negative"},
      {R"({"model":"m","input":[1,2.5]})", "input", "non-negative"},
      {R"({"model":"m","input":[[1],[]]})", "input", "input[1]"},
      {R"({"model":"m","input":[[1],2]})", "input", "input[1]"},
      {R"({"model":"m","input":[{"a":1}]})", "input", "input[0]"},
      {R"({"model":"m","input":5})", "input", "string"},
      {R"({"model":"m","input":{"text":"x"}})", "input", "string"},
      {many, "input", "2048"},
      {R"({"model":"m","input":"x","encoding_format":"int8"})", "encoding_format", "int8"},
      {R"({"model":"m","input":"x","encoding_format":1})", "encoding_format", "string"},
      {R"({"model":"m","input":"x","dimensions":0})", "dimensions", "positive integer"},
      {R"({"model":"m","input":"x","dimensions":-8})", "dimensions", "positive integer"},
      {R"({"model":"m","input":"x","dimensions":1.5})", "dimensions", "positive integer"},
      {R"({"model":"m","input":"x","dimensions":"64"})", "dimensions", "positive integer"},
      {R"({"model":"m","input":"x","user":7})", "user", "string"},
      {R"({"model":"m","input":"x","truncate":"yes"})", "truncate", "boolean"},
  };
  for (const Case& c : cases) {
    auto r = parse_embeddings_request(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidArgument) << c.body;
    EXPECT_NE(r.error().message.find(c.words), std::string::npos) << c.body << ": " << r.error().message;
  }
}

TEST(EmbeddingsApi, AcceptsExactlyTheMaximumNumberOfInputs) {
  nlohmann::json j = {{"model", "m"}, {"input", std::vector<std::vector<int>>(kMaxEmbeddingInputs, {1})}};
  auto r = parse_embeddings_request(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(std::get<TokenLists>(r->input).size(), kMaxEmbeddingInputs);
}

TEST(EmbeddingsApi, Base64IsLittleEndianFloat32) {
  // 1.0f = 00 00 80 3F, -2.0f = 00 00 00 C0.
  EXPECT_EQ(base64_floats({1.0f}), "AACAPw==");
  EXPECT_EQ(base64_floats({1.0f, -2.0f}), "AACAPwAAAMA=");
  EXPECT_EQ(base64_floats({}), "");
}

TEST(EmbeddingsApi, ResponseHasOpenAiShape) {
  const std::vector<std::vector<float>> vectors = {{0.5f, -0.25f}, {0.1f, 1.0f}};
  const auto body = nlohmann::json::parse(
      embeddings_response_json(vectors, EmbeddingEncoding::Float, "bert", 7, std::nullopt));
  EXPECT_EQ(body["object"], "list");
  EXPECT_EQ(body["model"], "bert");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][1]["object"], "embedding");
  EXPECT_EQ(body["data"][1]["index"], 1);
  EXPECT_EQ(body["data"][0]["embedding"], nlohmann::json({0.5, -0.25}));
  // Floats are written in their shortest form and read back exactly.
  EXPECT_EQ(body["data"][1]["embedding"][0].get<float>(), 0.1f);
  EXPECT_EQ(body["usage"], nlohmann::json({{"prompt_tokens", 7}, {"total_tokens", 7}}));

  const auto b64 = nlohmann::json::parse(embeddings_response_json(
      vectors, EmbeddingEncoding::Base64, "bert", 7, UsageCost{0.5, 0, 0, 0.5}));
  EXPECT_EQ(b64["data"][0]["embedding"], base64_floats(vectors[0]));
  EXPECT_EQ(b64["usage"]["cost"]["total_cost"], 0.5);
}

}  // namespace
}  // namespace tachyon
