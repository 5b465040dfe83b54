// Streams: chunks as they arrive, the final usage chunk, reuse after a full stream, and leaving early.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "sdk_test_util.h"

namespace tachyon::client {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedReply;
using testing::ScriptedRequest;
using testing::ScriptedServer;
namespace asio = boost::asio;

ScriptedReply three_chunks_and_usage() {
  return ScriptedReply{.events = {chunk_json("a"), chunk_json("b"), chunk_json("c"), usage_chunk_json(), "[DONE]"}};
}

TEST(Stream, RangeYieldsChunksThenTheUsageChunk) {
  std::mutex mutex;
  Json body;
  ScriptedServer server([&](const ScriptedRequest& r) {
    std::lock_guard lock(mutex);
    auto request = Json::parse(r.body);
    if (!request.contains("stream")) return ScriptedReply{.body = chat_completion_json("x")};
    body = request;
    return three_chunks_and_usage();
  });
  RecordingSleeper sleeper;
  auto monitor = std::make_shared<PerformanceMonitor>();
  auto options = test_options(server, sleeper);
  options.monitor = monitor;
  Client client(options);
  std::string text;
  int chunks = 0;
  auto stream = client.chat().completions().stream(hello_request());
  for (auto& chunk : stream) {
    ++chunks;
    if (!chunk.choices.empty() && chunk.choices[0].delta.content) text += *chunk.choices[0].delta.content;
  }
  EXPECT_EQ(text, "abc");
  EXPECT_EQ(chunks, 4);
  ASSERT_TRUE(stream.usage());
  EXPECT_EQ(stream.usage()->total_tokens, 7);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
  }
  // The stream ran to its end: its connection serves the next request.
  client.chat().completions().create(hello_request());
  EXPECT_EQ(server.connections_accepted(), 1);
  auto stats = monitor->stats();
  EXPECT_EQ(stats.successes, 2u);
  EXPECT_EQ(stats.ttft.count, 1u);
}

TEST(Stream, LeavingTheLoopEarlyClosesTheConnection) {
  std::vector<std::string> events;
  for (int i = 0; i < 400; ++i) events.push_back(chunk_json("t"));
  ScriptedServer server([&](const ScriptedRequest&) {
    return ScriptedReply{.events = events, .event_interval = 5ms};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  {
    auto stream = client.chat().completions().stream(hello_request());
    int n = 0;
    for (auto& chunk : stream) {
      (void)chunk;
      if (++n == 2) break;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (server.streams_cut_short() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server.streams_cut_short(), 1);
  EXPECT_EQ(client.open_connections(), 0u);
}

TEST(Stream, CoroutineStreamAndAStalledStreamTimesOut) {
  ScriptedServer server([](const ScriptedRequest& r) {
    if (r.body.find("stall") != std::string::npos) {
      return ScriptedReply{.events = {chunk_json("x"), chunk_json("never")}, .event_interval = 3s};
    }
    return three_chunks_and_usage();
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.timeouts.read = 200ms;
  asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  std::string text;
  std::optional<Usage> usage;
  bool timed_out = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto stream = co_await client.chat().completions().stream(hello_request());
        while (auto chunk = co_await stream.next()) {
          if (!chunk->choices.empty()) text += chunk->choices[0].delta.content.value_or("");
        }
        usage = stream.usage();
        auto stalled_request = hello_request();
        stalled_request.messages[0].content = "stall";
        auto stalled = co_await client.chat().completions().stream(stalled_request);
        co_await stalled.next();
        try {
          co_await stalled.next();
        } catch (const APITimeoutError&) {
          timed_out = true;
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(text, "abc");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->completion_tokens, 2);
  EXPECT_TRUE(timed_out);
}

TEST(Stream, AnErrorEventEndsTheStreamWithStreamError) {
  ScriptedServer server([](const ScriptedRequest&) {
    return ScriptedReply{.events = {chunk_json("a"), R"({"error":{"message":"engine stopped"}})"}};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  auto stream = client.chat().completions().stream(hello_request());
  EXPECT_TRUE(stream.next());
  try {
    stream.next();
    FAIL() << "no error";
  } catch (const StreamError& e) {
    EXPECT_STREQ(e.what(), "engine stopped");
  }
}

TEST(Stream, ErrorStatusBeforeTheStreamIsRetriedLikeAnyRequest) {
  std::atomic<int> n{0};
  ScriptedServer server([&](const ScriptedRequest&) {
    return ++n == 1 ? ScriptedReply{.status = 429, .headers = {{"retry-after", "2"}}} : three_chunks_and_usage();
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  int chunks = 0;
  for (auto& chunk : client.chat().completions().stream(hello_request())) {
    (void)chunk;
    ++chunks;
  }
  EXPECT_EQ(chunks, 4);
  EXPECT_EQ(sleeper.delays(), (std::vector<Duration>{2s}));
}

}  // namespace
}  // namespace tachyon::client
