// The connection pool: limits under load, keep-alive reuse and expiry, stale connections, and a
// server that goes away mid-run.
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

TEST(Pool, ThousandRequestsOverHundredStreamsOpenAtMostTwentyConnections) {
  ScriptedServer server([](const ScriptedRequest&) {
    return ScriptedReply{.body = chat_completion_json("x"), .delay = 1ms};
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.pool.max_connections = 20;
  options.pool.max_keepalive_connections = 20;
  options.monitor = std::make_shared<PerformanceMonitor>();
  asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  std::atomic<int> completed{0};
  for (int task = 0; task < 100; ++task) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < 10; ++i) {
            auto answer = co_await client.chat().completions().create(hello_request());
            if (answer.choices.size() == 1) ++completed;
          }
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(completed.load(), 1000);
  EXPECT_EQ(server.requests(), 1000);
  EXPECT_LE(server.connections_accepted(), 20);
  EXPECT_LE(server.max_open_connections(), 20);
  EXPECT_LE(client.open_connections(), 20u);
  EXPECT_LE(client.peak_open_connections(), 20u);
  EXPECT_EQ(client.connections_opened(), size_t(server.connections_accepted()));
  EXPECT_EQ(options.monitor->stats().successes, 1000u);
}

TEST(Pool, IdleConnectionsAreReusedUntilKeepaliveExpiry) {
  ScriptedServer server([](const ScriptedRequest&) { return ScriptedReply{.body = chat_completion_json("x")}; });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.pool.keepalive_expiry = 100ms;
  Client client(options);
  for (int i = 0; i < 5; ++i) client.chat().completions().create(hello_request());
  EXPECT_EQ(server.connections_accepted(), 1);
  std::this_thread::sleep_for(250ms);
  client.chat().completions().create(hello_request());
  EXPECT_EQ(server.connections_accepted(), 2);
  EXPECT_EQ(client.open_connections(), 1u);
}

TEST(Pool, KeepaliveLimitClosesSurplusIdleConnections) {
  ScriptedServer server([](const ScriptedRequest&) {
    return ScriptedReply{.body = chat_completion_json("x"), .delay = 20ms};
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.pool.max_connections = 8;
  options.pool.max_keepalive_connections = 2;
  AsyncClient client(options);
  std::vector<std::future<ChatCompletion>> futures;
  for (int i = 0; i < 8; ++i) futures.push_back(client.chat().completions().create_future(hello_request()));
  for (auto& f : futures) f.get();
  EXPECT_EQ(server.connections_accepted(), 8);
  EXPECT_EQ(client.open_connections(), 2u);
  EXPECT_EQ(client.peak_open_connections(), 8u);
  EXPECT_EQ(client.connections_opened(), 8u);
}

TEST(Pool, AConnectionTheServerClosedIsReplacedWithoutARetry) {
  ScriptedServer server([](const ScriptedRequest&) {
    return ScriptedReply{.body = chat_completion_json("x"), .close_without_saying = true};
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.max_retries = 0;
  Client client(options);
  for (int i = 0; i < 3; ++i) {
    client.chat().completions().create(hello_request());
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(server.connections_accepted(), 3);
  EXPECT_TRUE(sleeper.delays().empty());
}

TEST(Pool, ServerDyingMidRunFailsRequestsPromptlyAndTheCountsAddUp) {
  auto server = std::make_unique<ScriptedServer>([](const ScriptedRequest&) {
    return ScriptedReply{.body = chat_completion_json("x"), .delay = 2ms};
  });
  auto monitor = std::make_shared<PerformanceMonitor>();
  ClientOptions options;
  options.base_url = server->base_url();
  options.api_key = "k";
  options.monitor = monitor;
  options.pool.max_connections = 10;
  options.timeouts.total = 2s;
  options.timeouts.connect = 1s;
  options.sleeper = [](Duration) -> asio::awaitable<void> {  // short real waits
    asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
    co_await t.async_wait(asio::use_awaitable);
  };
  AsyncClient client(options);
  std::vector<std::future<ChatCompletion>> futures;
  for (int i = 0; i < 400; ++i) futures.push_back(client.chat().completions().create_future(hello_request()));
  while (server->requests() < 100) std::this_thread::sleep_for(1ms);
  server->stop();
  int ok = 0, connection_errors = 0, other = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_until(deadline), std::future_status::ready) << "a request hangs";
    try {
      f.get();
      ++ok;
    } catch (const APIConnectionError&) {
      ++connection_errors;
    } catch (...) {
      ++other;
    }
  }
  EXPECT_GE(ok, 50);  // the server had answered most of its first 100
  EXPECT_GT(connection_errors, 0);
  EXPECT_EQ(other, 0);
  auto stats = monitor->stats();
  EXPECT_EQ(stats.requests, 400u);
  EXPECT_EQ(stats.successes, static_cast<std::uint64_t>(ok));
  EXPECT_EQ(stats.errors, static_cast<std::uint64_t>(connection_errors));
}

}  // namespace
}  // namespace tachyon::client
