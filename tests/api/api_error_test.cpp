#include "api/api_error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

using nlohmann::json;

// The body must be exactly {"error":{"message","type","param","code"}}.
json parse_error_body(const std::string& body) {
  json parsed = json::parse(body);
  EXPECT_EQ(parsed.size(), 1u);
  EXPECT_TRUE(parsed.contains("error"));
  const json& error = parsed["error"];
  EXPECT_EQ(error.size(), 4u);
  for (const char* key : {"message", "type", "param", "code"}) EXPECT_TRUE(error.contains(key));
  return error;
}

TEST(ApiError, InvalidArgumentIs400WithParam) {
  Error error = invalid_param("top_p", "Invalid 'top_p'");
  EXPECT_EQ(http_status(error), 400);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["message"], "Invalid 'top_p'");
  EXPECT_EQ(body["type"], "invalid_request_error");
  EXPECT_EQ(body["param"], "top_p");
  EXPECT_TRUE(body["code"].is_null());
}

TEST(ApiError, EmptyParamIsNull) {
  Error error{"bad body", ErrorKind::InvalidArgument, {}};
  json body = parse_error_body(error_body(error));
  EXPECT_TRUE(body["param"].is_null());
}

TEST(ApiError, UnknownModelIs404ModelNotFound) {
  Error error = model_not_found("gpt-9");
  EXPECT_EQ(http_status(error), 404);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "not_found_error");
  EXPECT_EQ(body["code"], "model_not_found");
  EXPECT_EQ(body["param"], "model");
  EXPECT_NE(body["message"].get<std::string>().find("gpt-9"), std::string::npos);
}

TEST(ApiError, OtherNotFoundHasNoModelCode) {
  Error error{"no such file", ErrorKind::NotFound, {}};
  EXPECT_EQ(http_status(error), 404);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "not_found_error");
  EXPECT_TRUE(body["code"].is_null());
}

TEST(ApiError, ResourceExhaustedIs429) {
  Error error{"queue full", ErrorKind::ResourceExhausted, {}};
  EXPECT_EQ(http_status(error), 429);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "rate_limit_error");
  EXPECT_EQ(body["code"], "rate_limit_exceeded");
}

TEST(ApiError, UnavailableIs503) {
  Error error{"shutting down", ErrorKind::Unavailable, {}};
  EXPECT_EQ(http_status(error), 503);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "server_error");
  EXPECT_EQ(body["code"], "service_unavailable");
}

TEST(ApiError, InternalIs500AndKeepsItsDetailsFromTheClient) {
  Error error{"database: could not connect to db-host.internal:5432 as tachyon", ErrorKind::Internal, {}};
  EXPECT_EQ(http_status(error), 500);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "server_error");
  EXPECT_TRUE(body["code"].is_null());
  EXPECT_EQ(body["message"], "The server had an error while processing your request");
}

TEST(ApiError, PayloadTooLargeIs413) {
  ApiError error = payload_too_large(2000, 1000);
  EXPECT_EQ(error.status, 413);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "invalid_request_error");
  EXPECT_EQ(body["code"], "request_too_large");
  EXPECT_TRUE(body["param"].is_null());
}

TEST(ApiError, UnprocessableIs422) {
  ApiError error = unprocessable("cannot do that", "tools");
  EXPECT_EQ(error.status, 422);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["type"], "invalid_request_error");
  EXPECT_EQ(body["code"], "unprocessable_entity");
  EXPECT_EQ(body["param"], "tools");
  EXPECT_EQ(body["message"], "cannot do that");
}

TEST(ApiError, ContextLengthExceededIs400WithCode) {
  ApiError error = context_length_exceeded("messages", 4000, 200, 4096);
  EXPECT_EQ(error.status, 400);
  json body = parse_error_body(error_body(error));
  EXPECT_EQ(body["code"], "context_length_exceeded");
  EXPECT_EQ(body["param"], "messages");
  EXPECT_NE(body["message"].get<std::string>().find("4096"), std::string::npos);
}

TEST(ApiError, InvalidUtf8InMessageIsReplacedNotThrown) {
  Error error{std::string("bad \xff\xfe byte"), ErrorKind::InvalidArgument, {}};
  std::string text;
  ASSERT_NO_THROW(text = error_body(error));
  json body = parse_error_body(text);
  EXPECT_EQ(body["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace tachyon
