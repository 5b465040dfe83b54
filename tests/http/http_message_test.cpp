#include "http/http_message.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/error_response.h"
#include "http/request_id.h"
#include "http/response_writer.h"

namespace tachyon {
namespace {

TEST(HttpHeaders, NamesAreCaseInsensitive) {
  HttpHeaders headers;
  headers.set("Content-Type", "application/json");
  EXPECT_EQ(headers.get("content-type"), "application/json");
  EXPECT_TRUE(headers.contains("CONTENT-TYPE"));
  headers.set("content-TYPE", "text/plain");
  EXPECT_EQ(headers.entries().size(), 1u);
  EXPECT_EQ(headers.get("Content-Type"), "text/plain");
  headers.add("Set-Cookie", "a=1");
  headers.add("set-cookie", "b=2");
  EXPECT_EQ(headers.entries().size(), 3u);
  headers.remove("SET-COOKIE");
  EXPECT_EQ(headers.entries().size(), 1u);
  EXPECT_FALSE(headers.get("X-Missing").has_value());
}

TEST(HttpRequest, QueryParametersArePercentDecoded) {
  HttpRequest request;
  request.query = "limit=2&name=hello%20world+again&flag&after=%2Fslash";
  EXPECT_EQ(request.query_param("limit"), "2");
  EXPECT_EQ(request.query_param("name"), "hello world again");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("after"), "/slash");
  EXPECT_FALSE(request.query_param("missing").has_value());
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%2", false), "a%2");
  EXPECT_EQ(percent_decode("a%zz+b", false), "a%zz+b");
  EXPECT_EQ(percent_decode("org%2Fmodel", false), "org/model");
}

TEST(SseFormat, EachLineGetsADataPrefix) {
  EXPECT_EQ(format_sse_event("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(format_sse_event("[DONE]"), "data: [DONE]\n\n");
  EXPECT_EQ(format_sse_event("one\ntwo"), "data: one\ndata: two\n\n");
  EXPECT_EQ(format_sse_event(""), "data: \n\n");
}

TEST(ErrorResponse, HasOpenAiShape) {
  HttpResponse response = error_response(404, "no such model", "invalid_request_error",
                                         "model_not_found", "model");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
  nlohmann::json body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["message"], "no such model");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["code"], "model_not_found");
  EXPECT_EQ(body["error"]["param"], "model");

  nlohmann::json bare = nlohmann::json::parse(error_response(500, "boom", "server_error").body);
  EXPECT_TRUE(bare["error"]["param"].is_null());
  EXPECT_TRUE(bare["error"]["code"].is_null());
}

TEST(RequestId, GeneratedIdsAreHexAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = generate_request_id();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(RequestId, ClientIdsMustBeShortVisibleAscii) {
  EXPECT_TRUE(is_acceptable_request_id("req-123_abc"));
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id("has space"));
  EXPECT_FALSE(is_acceptable_request_id(std::string(201, 'a')));
  EXPECT_FALSE(is_acceptable_request_id("tab\there"));
}

}  // namespace
}  // namespace tachyon
