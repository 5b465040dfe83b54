#include "api/completion_request.h"

#include <gtest/gtest.h>

namespace tachyon {
namespace {

std::string completion_body(const std::string& fields) { return R"({"model":"m",)" + fields + "}"; }

TEST(CompletionRequest, PromptAsString) {
  Result<CompletionRequest> request = parse_completion_request(completion_body(R"("prompt":"Hi")"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_TRUE(std::holds_alternative<std::string>(request->prompt));
  EXPECT_EQ(std::get<std::string>(request->prompt), "Hi");
  EXPECT_FALSE(request->echo);
  EXPECT_FALSE(request->params.sampling.logprobs);
}

TEST(CompletionRequest, EmptyStringPromptIsAllowed) {
  Result<CompletionRequest> request = parse_completion_request(completion_body(R"("prompt":"")"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(std::get<std::string>(request->prompt), "");
}

TEST(CompletionRequest, PromptAsArrayOfOneString) {
  Result<CompletionRequest> request =
      parse_completion_request(completion_body(R"("prompt":["Once upon"])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(std::get<std::string>(request->prompt), "Once upon");
}

TEST(CompletionRequest, PromptAsTokenIds) {
  Result<CompletionRequest> request =
      parse_completion_request(completion_body(R"("prompt":[1, 15043, 0])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_TRUE(std::holds_alternative<std::vector<int32_t>>(request->prompt));
  EXPECT_EQ(std::get<std::vector<int32_t>>(request->prompt), (std::vector<int32_t>{1, 15043, 0}));
}

TEST(CompletionRequest, PromptAsArrayOfOneTokenArray) {
  Result<CompletionRequest> request =
      parse_completion_request(completion_body(R"("prompt":[[5, 6]])"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(std::get<std::vector<int32_t>>(request->prompt), (std::vector<int32_t>{5, 6}));
}

TEST(CompletionRequest, EchoAndLegacyLogprobs) {
  Result<CompletionRequest> request = parse_completion_request(
      completion_body(R"("prompt":"x", "echo": true, "logprobs": 5, "max_tokens": 3)"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_TRUE(request->echo);
  EXPECT_TRUE(request->params.sampling.logprobs);
  EXPECT_EQ(request->params.sampling.n_top_logprobs, 5);
  EXPECT_EQ(request->params.max_tokens, 3);
}

TEST(CompletionRequest, LogprobsZeroStillReportsChosenTokens) {
  Result<CompletionRequest> request =
      parse_completion_request(completion_body(R"("prompt":"x", "logprobs": 0)"));
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_TRUE(request->params.sampling.logprobs);
  EXPECT_EQ(request->params.sampling.n_top_logprobs, 0);
}

TEST(CompletionRequest, MalformedJsonIs400WithoutParam) {
  Result<CompletionRequest> request = parse_completion_request(R"({"prompt": )");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().param, "");
  EXPECT_NE(request.error().message.find("Invalid JSON"), std::string::npos);
}

struct BadCompletion {
  const char* fields;
  const char* param;
};

class CompletionRequestRejects : public ::testing::TestWithParam<BadCompletion> {};

TEST_P(CompletionRequestRejects, WithParamNamed) {
  Result<CompletionRequest> request = parse_completion_request(completion_body(GetParam().fields));
  ASSERT_FALSE(request.ok()) << GetParam().fields;
  EXPECT_EQ(request.error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(request.error().param, GetParam().param)
      << GetParam().fields << ": " << request.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Validation, CompletionRequestRejects,
    ::testing::Values(BadCompletion{R"("echo": false)", "prompt"},
                    BadCompletion{R"("prompt": 5)", "prompt"},
                    BadCompletion{R"("prompt": {"text": "x"})", "prompt"},
                    BadCompletion{R"("prompt": [])", "prompt"},
                    BadCompletion{R"("prompt": [[]])", "prompt"},
                    BadCompletion{R"("prompt": ["a", "b"])", "prompt"},
                    BadCompletion{R"("prompt": [[1], [2]])", "prompt"},
                    BadCompletion{R"("prompt": [1, -2])", "prompt"},
                    BadCompletion{R"("prompt": [1, 2.5])", "prompt"},
                    BadCompletion{R"("prompt": [1, "a"])", "prompt"},
                    BadCompletion{R"("prompt": [1, 3000000000])", "prompt"},
                    BadCompletion{R"("prompt": [true])", "prompt"},
                    BadCompletion{R"("prompt": "x", "echo": "yes")", "echo"},
                    BadCompletion{R"("prompt": "x", "logprobs": 6)", "logprobs"},
                    BadCompletion{R"("prompt": "x", "logprobs": -1)", "logprobs"},
                    BadCompletion{R"("prompt": "x", "logprobs": true)", "logprobs"},
                    BadCompletion{R"("prompt": "x", "n": 20)", "n"},
                    BadCompletion{R"("prompt": "x", "stop": 1)", "stop"}));

}  // namespace
}  // namespace tachyon
