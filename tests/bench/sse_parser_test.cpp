#include "bench/sse_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/stream_client.h"

namespace tachyon::bench {
namespace {

using Events = std::vector<std::string>;

TEST(SseParserTest, EventsSplitAcrossReadsComeOutWhole) {
  const std::string stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: keep-alive\n\ndata: [DONE]\n\n";
  // Every split point of the stream, including one byte at a time, yields the same events.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    Events events = parser.feed(stream.substr(0, cut));
    for (auto& e : parser.feed(stream.substr(cut))) events.push_back(e);
    ASSERT_EQ(events, (Events{"{\"a\":1}", "{\"b\":2}", "[DONE]"})) << "cut at " << cut;
  }
  SseParser bytewise;
  Events events;
  for (char c : stream)
    for (auto& e : bytewise.feed(std::string(1, c))) events.push_back(e);
  EXPECT_EQ(events.size(), 3u);
}

TEST(SseParserTest, CrLfMultiLineDataAndOtherFields) {
  SseParser parser;
  EXPECT_EQ(parser.feed("event: x\r\nid: 3\r\ndata: first\r\ndata:second\r"), Events{});
  EXPECT_EQ(parser.feed("\n\r\n"), Events{"first\nsecond"});
  EXPECT_EQ(parser.feed("event: only\n\n"), Events{});  // no data: nothing dispatched
  EXPECT_EQ(parser.feed("data\n\n"), Events{""});        // a bare "data" field is empty data
  EXPECT_EQ(parser.feed("data: incomplete"), Events{});
}

TEST(StreamClientTest, AppliesChatAndCompletionChunks) {
  RequestRecord r;
  apply_event(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null})", 0.1, r);
  EXPECT_TRUE(r.chunk_times_s.empty());  // the role-only chunk carries no token
  apply_event(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})", 0.5, r);
  apply_event(R"({"choices":[{"index":0,"text":" there"}]})", 0.7, r);
  apply_event(R"({"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"length"}]})", 0.9, r);
  EXPECT_EQ(r.completion_tokens, 3);  // counted from chunks until usage arrives
  apply_event(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}})", 1.0, r);
  apply_event("[DONE]", 1.0, r);
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.usage_reported);
  EXPECT_EQ(r.prompt_tokens, 12);
  EXPECT_EQ(r.completion_tokens, 5);
  EXPECT_EQ(r.chunk_times_s, (std::vector<double>{0.5, 0.7, 0.9}));
  EXPECT_DOUBLE_EQ(r.ttft_s(), 0.5);
  EXPECT_DOUBLE_EQ(r.decode_tps(), 4 / 0.4);
  EXPECT_TRUE(r.error.empty());

  RequestRecord failed;
  apply_event(R"({"error":{"message":"context overflow","type":"invalid_request_error"}})", 0.2, failed);
  EXPECT_NE(failed.error.find("context overflow"), std::string::npos);
  RequestRecord garbage;
  apply_event("not json", 0.2, garbage);
  EXPECT_FALSE(garbage.error.empty());
}

TEST(StreamClientTest, ParsesBaseUrls) {
  auto t = parse_base_url("http://127.0.0.1:8080");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "8080");
  EXPECT_EQ(t->path(Endpoint::Chat), "/v1/chat/completions");
  auto v1 = parse_base_url("http://localhost/v1/");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->port, "80");
  EXPECT_EQ(v1->path(Endpoint::Completions), "/v1/completions");
  auto prefixed = parse_base_url("http://[::1]:9000/llm");
  ASSERT_TRUE(prefixed);
  EXPECT_EQ(prefixed->host, "::1");
  EXPECT_EQ(prefixed->path(Endpoint::Chat), "/llm/v1/chat/completions");
  EXPECT_FALSE(parse_base_url("https://example.com"));
  EXPECT_FALSE(parse_base_url("127.0.0.1:8080"));
  EXPECT_FALSE(parse_base_url("http://host:80a"));
  EXPECT_FALSE(parse_base_url("http://:80"));
}

TEST(StreamClientTest, RequestBodyAsksForTheWholeLengthWithUsage) {
  ClientOptions options;
  options.model = "m";
  const RequestSpec spec{"the cat", 2, 42};
  const auto chat = nlohmann::json::parse(request_body(options, spec));
  EXPECT_EQ(chat["max_tokens"], 42);
  EXPECT_EQ(chat["ignore_eos"], true);
  EXPECT_EQ(chat["stream"], true);
  EXPECT_EQ(chat["stream_options"]["include_usage"], true);
  EXPECT_EQ(chat["model"], "m");
  EXPECT_EQ(chat["messages"][0]["content"], "the cat");
  options.endpoint = Endpoint::Completions;
  options.model.clear();
  const auto completion = nlohmann::json::parse(request_body(options, spec));
  EXPECT_EQ(completion["prompt"], "the cat");
  EXPECT_FALSE(completion.contains("model"));
}

}  // namespace
}  // namespace tachyon::bench
