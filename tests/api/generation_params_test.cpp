#include "api/generation_params.h"

#include <gtest/gtest.h>

namespace tachyon {
namespace {

using nlohmann::json;

// Parses {"model":"m", <fields>}.
Result<GenerationParams> parse_with(const std::string& fields) {
  std::string text = R"({"model":"m")" + (fields.empty() ? "" : "," + fields) + "}";
  return parse_generation_params(json::parse(text));
}

TEST(GenerationParams, DefaultsWhenOnlyModelGiven) {
  Result<GenerationParams> params = parse_with("");
  ASSERT_TRUE(params.ok()) << params.error().message;
  EXPECT_EQ(params->model, "m");
  EXPECT_FALSE(params->max_tokens.has_value());
  EXPECT_TRUE(params->stop.empty());
  EXPECT_EQ(params->n, 1);
  EXPECT_FALSE(params->stream);
  EXPECT_FALSE(params->include_usage);
  EXPECT_FALSE(params->ignore_eos);
  EXPECT_FALSE(params->speculative.has_value());
  EXPECT_EQ(params->sampling.temperature, 1.0f);
  EXPECT_EQ(params->sampling.top_p, 1.0f);
  EXPECT_EQ(params->sampling.top_k, 0);
  EXPECT_FALSE(params->sampling.seed.has_value());
}

TEST(GenerationParams, StopStringsAreBounded) {
  EXPECT_TRUE(parse_generation_params(json{{"model", "m"}, {"stop", std::string(kMaxStopBytes, 's')}}).ok());
  for (const json& stop : {json(std::string(kMaxStopBytes + 1, 's')), json::array({"a", std::string(kMaxStopBytes + 1, 's')})}) {
    Result<GenerationParams> p = parse_generation_params(json{{"model", "m"}, {"stop", stop}});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().param, "stop");
  }
}

TEST(GenerationParams, ModelNamesAreBounded) {
  EXPECT_TRUE(parse_generation_params(json{{"model", std::string(256, 'm')}}).ok());
  Result<GenerationParams> long_name = parse_generation_params(json{{"model", std::string(257, 'm')}});
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.error().param, "model");
  EXPECT_EQ(long_name.error().kind, ErrorKind::InvalidArgument);
}

TEST(GenerationParams, ReadsEveryField) {
  Result<GenerationParams> params = parse_with(R"(
    "max_tokens": 12, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
    "presence_penalty": -1.5, "frequency_penalty": 2, "repetition_penalty": 1.1,
    "stop": ["a", "b"], "seed": 42, "n": 3, "logit_bias": {"15": -100, "7": 2.5},
    "stream": true, "stream_options": {"include_usage": true},
    "response_format": {"type": "text"}, "user": "u-1", "ignore_eos": true, "speculative": false)");
  ASSERT_TRUE(params.ok()) << params.error().message;
  EXPECT_EQ(params->max_tokens, 12);
  EXPECT_FLOAT_EQ(params->sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(params->sampling.top_p, 0.9f);
  EXPECT_EQ(params->sampling.top_k, 40);
  EXPECT_FLOAT_EQ(params->sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(params->sampling.presence_penalty, -1.5f);
  EXPECT_FLOAT_EQ(params->sampling.frequency_penalty, 2.0f);
  EXPECT_FLOAT_EQ(params->sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(params->stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(params->sampling.seed, 42u);
  EXPECT_EQ(params->n, 3);
  ASSERT_EQ(params->sampling.logit_bias.size(), 2u);
  // Object keys come back sorted as strings: "15" before "7".
  EXPECT_EQ(params->sampling.logit_bias[0], (std::pair<int32_t, float>{15, -100.0f}));
  EXPECT_EQ(params->sampling.logit_bias[1], (std::pair<int32_t, float>{7, 2.5f}));
  EXPECT_TRUE(params->stream);
  EXPECT_TRUE(params->include_usage);
  EXPECT_EQ(params->user, "u-1");
  EXPECT_TRUE(params->ignore_eos);
  EXPECT_EQ(params->speculative, false);
}

TEST(GenerationParams, NullMeansNotGiven) {
  Result<GenerationParams> params = parse_with(
      R"("temperature": null, "stop": null, "seed": null, "stream_options": null, "n": null)");
  ASSERT_TRUE(params.ok()) << params.error().message;
  EXPECT_EQ(params->sampling.temperature, 1.0f);
  EXPECT_TRUE(params->stop.empty());
  EXPECT_EQ(params->n, 1);
}

TEST(GenerationParams, MaxCompletionTokensWinsOverMaxTokens) {
  Result<GenerationParams> params = parse_with(R"("max_tokens": 5, "max_completion_tokens": 9)");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->max_tokens, 9);
  params = parse_with(R"("max_completion_tokens": 7)");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->max_tokens, 7);
}

TEST(GenerationParams, StopAsSingleString) {
  Result<GenerationParams> params = parse_with(R"("stop": "\n\n")");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->stop, (std::vector<std::string>{"\n\n"}));
}

TEST(GenerationParams, TopKMinusOneAndZeroMeanOff) {
  for (const char* value : {"-1", "0"}) {
    Result<GenerationParams> params = parse_with(std::string(R"("top_k": )") + value);
    ASSERT_TRUE(params.ok()) << value;
    EXPECT_EQ(params->sampling.top_k, 0);
  }
}

TEST(GenerationParams, NegativeSeedIsAccepted) {
  Result<GenerationParams> params = parse_with(R"("seed": -1)");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->sampling.seed, UINT64_MAX);
}

TEST(GenerationParams, IntegralFloatCountsAsInteger) {
  Result<GenerationParams> params = parse_with(R"("max_tokens": 16.0)");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->max_tokens, 16);
}

TEST(GenerationParams, BoundaryValuesAreAccepted) {
  for (const char* fields :
       {R"("temperature": 0)", R"("temperature": 2)", R"("top_p": 1)", R"("top_p": 0.0001)",
        R"("min_p": 0)", R"("min_p": 1)", R"("presence_penalty": -2)",
        R"("frequency_penalty": 2)", R"("n": 16)", R"("n": 1)", R"("max_tokens": 1)",
        R"("logit_bias": {"0": 100, "1": -100})", R"("stop": ["a", "b", "c", "d"])",
        R"("stop": [])", R"("stream": false)", R"("stream": true, "stream_options": {})",
        R"("repetition_penalty": 0.01)"}) {
    Result<GenerationParams> params = parse_with(fields);
    EXPECT_TRUE(params.ok()) << fields << ": " << params.error().message;
  }
}

TEST(GenerationParams, PerplexitySearchOptionsAreIgnored) {
  Result<GenerationParams> params = parse_with(R"(
    "search_domain_filter": ["example.com"], "return_images": false,
    "return_related_questions": true, "search_recency_filter": "week",
    "web_search_options": {"search_context_size": "high"}, "some_future_field": 1)");
  EXPECT_TRUE(params.ok()) << params.error().message;
}

struct BadCase {
  const char* fields;  // empty: the body has no model
  const char* param;
};

class GenerationParamsRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(GenerationParamsRejects, WithParamNamed) {
  const BadCase& c = GetParam();
  Result<GenerationParams> params =
      c.fields[0] == '\0' ? parse_generation_params(json::object()) : parse_with(c.fields);
  ASSERT_FALSE(params.ok()) << c.fields;
  EXPECT_EQ(params.error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(params.error().param, c.param) << c.fields << ": " << params.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Validation, GenerationParamsRejects,
    ::testing::Values(
        BadCase{"", "model"},
        BadCase{R"("model": 3)", "model"},
        BadCase{R"("model": "")", "model"},
        BadCase{R"("max_tokens": 0)", "max_tokens"},
        BadCase{R"("max_tokens": -5)", "max_tokens"},
        BadCase{R"("max_tokens": 1.5)", "max_tokens"},
        BadCase{R"("max_tokens": "10")", "max_tokens"},
        BadCase{R"("max_tokens": 3000000000)", "max_tokens"},
        BadCase{R"("max_completion_tokens": 0)", "max_completion_tokens"},
        BadCase{R"("temperature": -0.1)", "temperature"},
        BadCase{R"("temperature": 2.01)", "temperature"},
        BadCase{R"("temperature": "hot")", "temperature"},
        BadCase{R"("temperature": true)", "temperature"},
        BadCase{R"("top_p": 0)", "top_p"},
        BadCase{R"("top_p": 1.5)", "top_p"},
        BadCase{R"("top_p": [1])", "top_p"},
        BadCase{R"("top_k": -2)", "top_k"},
        BadCase{R"("top_k": 2.5)", "top_k"},
        BadCase{R"("top_k": "40")", "top_k"},
        BadCase{R"("min_p": -0.01)", "min_p"},
        BadCase{R"("min_p": 1.01)", "min_p"},
        BadCase{R"("presence_penalty": -2.5)", "presence_penalty"},
        BadCase{R"("presence_penalty": 2.5)", "presence_penalty"},
        BadCase{R"("frequency_penalty": -3)", "frequency_penalty"},
        BadCase{R"("frequency_penalty": 3)", "frequency_penalty"},
        BadCase{R"("frequency_penalty": {})", "frequency_penalty"},
        BadCase{R"("repetition_penalty": 0)", "repetition_penalty"},
        BadCase{R"("repetition_penalty": -1)", "repetition_penalty"},
        BadCase{R"("stop": 5)", "stop"},
        BadCase{R"("stop": ["a", 1])", "stop"},
        BadCase{R"("stop": ["a", "b", "c", "d", "e"])", "stop"},
        BadCase{R"("stop": "")", "stop"},
        BadCase{R"("stop": ["a", ""])", "stop"},
        BadCase{R"("seed": "7")", "seed"},
        BadCase{R"("seed": 1.5)", "seed"},
        BadCase{R"("n": 0)", "n"},
        BadCase{R"("n": 17)", "n"},
        BadCase{R"("n": "2")", "n"},
        BadCase{R"("logit_bias": [1])", "logit_bias"},
        BadCase{R"("logit_bias": {"abc": 1})", "logit_bias"},
        BadCase{R"("logit_bias": {"-3": 1})", "logit_bias"},
        BadCase{R"("logit_bias": {"12x": 1})", "logit_bias"},
        BadCase{R"("logit_bias": {"5": 101})", "logit_bias"},
        BadCase{R"("logit_bias": {"5": -100.5})", "logit_bias"},
        BadCase{R"("logit_bias": {"5": "1"})", "logit_bias"},
        BadCase{R"("stream": "yes")", "stream"},
        BadCase{R"("stream": 1)", "stream"},
        BadCase{R"("stream_options": {"include_usage": true})", "stream_options"},
        BadCase{R"("stream": false, "stream_options": {"include_usage": true})",
                "stream_options"},
        BadCase{R"("stream": true, "stream_options": true)", "stream_options"},
        BadCase{R"("stream": true, "stream_options": {"include_usage": "yes"})",
                "stream_options.include_usage"},
        BadCase{R"("user": 12)", "user"},
        BadCase{R"("ignore_eos": "true")", "ignore_eos"},
        BadCase{R"("speculative": 1)", "speculative"}));

TEST(GenerationParams, TypeErrorMessageNamesFieldAndTypes) {
  Result<GenerationParams> params = parse_with(R"("temperature": "hot")");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().message, "Invalid type for 'temperature': expected a number, got string");
}

TEST(GenerationParams, RangeErrorMessageShowsBounds) {
  Result<GenerationParams> params = parse_with(R"("top_p": 1.5)");
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.error().message, "Invalid 'top_p': expected a value in (0, 1], got 1.5");
}

}  // namespace
}  // namespace tachyon
