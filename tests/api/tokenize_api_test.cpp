#include "api/tokenize_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

TEST(TokenizeApi, ParsesContentAndAddSpecial) {
  Result<TokenizeRequest> request = parse_tokenize_request(R"({"content":"Hi","add_special":true})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->content, "Hi");
  EXPECT_TRUE(request->add_special);

  request = parse_tokenize_request(R"({"content":"Hi"})");
  ASSERT_TRUE(request.ok());
  EXPECT_FALSE(request->add_special);
}

TEST(TokenizeApi, RejectsBadTokenizeBodies) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& c : {Case{"{", ""}, Case{"{}", "content"}, Case{R"({"content":5})", "content"},
                        Case{R"({"content":"x","add_special":"no"})", "add_special"}}) {
    Result<TokenizeRequest> request = parse_tokenize_request(c.body);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(request.error().param, c.param) << c.body;
  }
}

TEST(TokenizeApi, ParsesTokens) {
  Result<DetokenizeRequest> request = parse_detokenize_request(R"({"tokens":[1, 2, 32000]})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->tokens, (std::vector<int32_t>{1, 2, 32000}));

  request = parse_detokenize_request(R"({"tokens":[]})");
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(request->tokens.empty());
}

TEST(TokenizeApi, RejectsBadDetokenizeBodies) {
  for (const char* body : {R"({})", R"({"tokens":"1 2"})", R"({"tokens":[1,-1]})",
                           R"({"tokens":[1,"2"]})", R"({"tokens":[0.5]})"}) {
    Result<DetokenizeRequest> request = parse_detokenize_request(body);
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.error().param, "tokens") << body;
  }
}

TEST(TokenizeApi, ResponseBodies) {
  std::vector<int32_t> tokens = {1, 15043};
  EXPECT_EQ(tokenize_response_json(tokens), R"({"tokens":[1,15043]})");
  EXPECT_EQ(tokenize_response_json({}), R"({"tokens":[]})");
  EXPECT_EQ(detokenize_response_json("Hello \"x\""), R"({"content":"Hello \"x\""})");
}

TEST(TokenizeApi, DetokenizeReplacesInvalidUtf8) {
  std::string body = detokenize_response_json("ab\xE2\x82");
  nlohmann::json parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["content"], "ab\xEF\xBF\xBD");
}

}  // namespace
}  // namespace tachyon
