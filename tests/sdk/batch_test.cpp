// batch(): bounded concurrency, lazy input, pacing, and rate-limit pauses that never surface.
#include <gtest/gtest.h>

#include <ranges>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "sdk_test_util.h"

namespace tachyon::client {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedReply;
using testing::ScriptedRequest;
using testing::ScriptedServer;
namespace asio = boost::asio;

TEST(Batch, LazyInputBoundedInFlightResultsAsTheyFinish) {
  ScriptedServer server([](const ScriptedRequest& r) {
    auto i = Json::parse(r.body)["messages"][0]["content"].get<std::string>();
    return ScriptedReply{.body = chat_completion_json(i), .delay = std::chrono::milliseconds(i.size() % 3)};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  std::atomic<int> produced{0};
  auto inputs = std::views::iota(0, 300) | std::views::transform([&](int i) {
                  ++produced;
                  return ChatCompletionRequest{.model = "m", .messages = {{"user", std::to_string(i)}}};
                });
  std::vector<bool> seen(300, false);
  int results = 0;
  int max_ahead = 0;
  for (auto& result : client.batch(inputs, {.concurrency = 4})) {
    if (!result.ok()) {
      try {
        result.get();
      } catch (const std::exception& e) {
        FAIL() << "input " << result.index << ": " << e.what();
      }
    }
    EXPECT_EQ(result.get().choices.at(0).message.content, std::to_string(result.index));
    seen.at(result.index) = true;
    ++results;
    max_ahead = std::max(max_ahead, produced.load() - results);
  }
  EXPECT_EQ(results, 300);
  EXPECT_LE(server.max_in_flight(), 4);
  EXPECT_LE(max_ahead, 4 + 4);  // inputs read ahead of results: in flight plus results waiting
  EXPECT_TRUE(std::ranges::all_of(seen, [](bool b) { return b; }));
}

TEST(Batch, LeavingEarlyStopsReadingInput) {
  ScriptedServer server([](const ScriptedRequest&) { return ScriptedReply{.body = chat_completion_json("x")}; });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  std::atomic<int> produced{0};
  auto inputs = std::views::iota(0) | std::views::transform([&](int) {
                  ++produced;
                  return hello_request();
                });
  int n = 0;
  for (auto& result : client.batch(inputs, {.concurrency = 3})) {
    (void)result;
    if (++n == 10) break;
  }
  EXPECT_LE(produced.load(), 10 + 3 + 3 + 1);
}

TEST(Batch, RequestsPerSecondSpacesTheStarts) {
  ScriptedServer server([](const ScriptedRequest&) { return ScriptedReply{.body = chat_completion_json("x")}; });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  std::vector<ChatCompletionRequest> requests(6, hello_request());
  auto start = std::chrono::steady_clock::now();
  int ok = 0;
  for (auto& result : client.batch(requests, {.concurrency = 6, .requests_per_second = 20})) {
    try {
      result.get();
      ++ok;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ok, 6);
  EXPECT_GE(took, 240ms);  // five gaps of 50 ms
}

TEST(Batch, RateLimitedRequestsWaitAndAreResentWithoutSurfacing) {
  // Admits one request per 100 ms window; the rest get 429 with the wait left.
  std::mutex mutex;
  auto window_start = std::chrono::steady_clock::now() - 1s;
  ScriptedServer server([&](const ScriptedRequest&) {
    std::lock_guard lock(mutex);
    auto now = std::chrono::steady_clock::now();
    if (now - window_start >= 100ms) {
      window_start = now;
      return ScriptedReply{.body = chat_completion_json("ok")};
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(100ms - (now - window_start)).count() + 1;
    return ScriptedReply{.status = 429, .headers = {{"retry-after-ms", std::to_string(wait_ms)}}};
  });
  ClientOptions options;
  options.base_url = server.base_url();
  options.api_key = "k";
  options.max_retries = 0;  // the batch, not the client, handles the 429s here
  AsyncClient client(options);
  std::vector<ChatCompletionRequest> requests(8, hello_request());
  std::atomic<int> ok{0}, rate_limited{0};
  auto summary = asio::co_spawn(client.executor(),
                                client.batch(requests, {.concurrency = 4},
                                             [&](BatchResult<ChatCompletion>&& r) {
                                               if (r.ok()) {
                                                 ++ok;
                                               } else {
                                                 try {
                                                   r.get();
                                                 } catch (const RateLimitError&) {
                                                   ++rate_limited;
                                                 } catch (...) {
                                                 }
                                               }
                                             }),
                                asio::use_future)
                     .get();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(rate_limited.load(), 0);
  EXPECT_EQ(summary.succeeded, 8u);
  EXPECT_GT(summary.rate_limit_resends, 0u);
}

}  // namespace
}  // namespace tachyon::client
