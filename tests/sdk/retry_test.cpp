// Backoff, Retry-After and x-should-retry, as pure functions and through a scripted server.
#include "tachyon/client/retry.h"

#include <gtest/gtest.h>

#include "sdk_test_util.h"

namespace tachyon::client {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedReply;
using testing::ScriptedRequest;
using testing::ScriptedServer;

Headers headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Headers h;
  for (auto [k, v] : fields) h.add(k, v);
  return h;
}

TEST(Retry, BackoffDoublesFromHalfASecondCappedAtEightWithJitter) {
  EXPECT_EQ(backoff_delay(0, 0.0), 500ms);
  EXPECT_EQ(backoff_delay(1, 0.0), 1000ms);
  EXPECT_EQ(backoff_delay(3, 0.0), 4000ms);
  EXPECT_EQ(backoff_delay(4, 0.0), 8000ms);
  EXPECT_EQ(backoff_delay(9, 0.0), 8000ms);
  EXPECT_EQ(backoff_delay(0, 0.5), 437500us);  // at most 25% less
  EXPECT_GT(backoff_delay(0, 0.999999), 375ms - 1ms);
}

TEST(Retry, RetryAfterInSecondsMillisecondsOrDateUpToSixtySeconds) {
  EXPECT_EQ(retry_after(headers({{"Retry-After", "3"}})), Duration(3s));
  EXPECT_EQ(retry_after(headers({{"retry-after-ms", "1500"}, {"retry-after", "9"}})), Duration(1500ms));
  EXPECT_EQ(retry_after(headers({{"retry-after", "61"}})), std::nullopt);
  EXPECT_EQ(retry_after(headers({{"retry-after", "0"}})), std::nullopt);
  EXPECT_EQ(retry_after(headers({{"retry-after", "soon"}})), std::nullopt);
  EXPECT_EQ(retry_after(headers({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}})), std::nullopt);  // past
  EXPECT_EQ(retry_after({}), std::nullopt);
}

TEST(Retry, StatusesWorthRetryingAndTheServersWord) {
  for (int s : {408, 409, 429, 500, 502, 503, 504}) EXPECT_TRUE(should_retry_status(s, {})) << s;
  for (int s : {400, 401, 403, 404, 422}) EXPECT_FALSE(should_retry_status(s, {})) << s;
  EXPECT_FALSE(should_retry_status(503, headers({{"x-should-retry", "false"}})));
  EXPECT_TRUE(should_retry_status(400, headers({{"X-Should-Retry", "true"}})));
}

TEST(Retry, ServerErrorsAreRetriedTwiceWithBackoff) {
  std::atomic<int> n{0};
  ScriptedServer server([&](const ScriptedRequest&) {
    return ++n < 3 ? ScriptedReply{.status = 500, .body = R"({"error":{"message":"boom"}})"}
                   : ScriptedReply{.body = chat_completion_json("ok")};
  });
  RecordingSleeper sleeper;
  auto monitor = std::make_shared<PerformanceMonitor>();
  auto options = test_options(server, sleeper);
  options.monitor = monitor;
  Client client(options);
  auto answer = client.chat().completions().create(hello_request());
  EXPECT_EQ(answer.choices.at(0).message.content, "ok");
  EXPECT_EQ(sleeper.delays(), (std::vector<Duration>{500ms, 1000ms}));
  EXPECT_EQ(server.requests(), 3);
  auto stats = monitor->stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.successes, 1u);
  EXPECT_EQ(stats.retries, 2u);
}

TEST(Retry, GivesUpAfterMaxRetriesWithTheTypedError) {
  ScriptedServer server([](const ScriptedRequest&) {
    return ScriptedReply{.status = 503, .headers = {{"X-Request-ID", "req-503"}}, .body = R"({"error":{"message":"busy"}})"};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  try {
    client.chat().completions().create(hello_request());
    FAIL() << "no error";
  } catch (const InternalServerError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.request_id(), "req-503");
    EXPECT_NE(std::string(e.what()).find("busy"), std::string::npos);
  }
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(sleeper.delays().size(), 2u);
}

TEST(Retry, RetryAfterIsHonouredUpToSixtySeconds) {
  std::atomic<int> n{0};
  ScriptedServer server([&](const ScriptedRequest&) {
    switch (++n) {
      case 1: return ScriptedReply{.status = 429, .headers = {{"Retry-After", "3"}}};
      case 2: return ScriptedReply{.status = 429, .headers = {{"retry-after-ms", "1250"}}};
      default: return ScriptedReply{.body = chat_completion_json("ok")};
    }
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  client.chat().completions().create(hello_request());
  EXPECT_EQ(sleeper.delays(), (std::vector<Duration>{3s, 1250ms}));

  n = 0;
  ScriptedServer far([&](const ScriptedRequest&) {
    return ++n == 1 ? ScriptedReply{.status = 429, .headers = {{"Retry-After", "120"}}}
                    : ScriptedReply{.body = chat_completion_json("ok")};
  });
  RecordingSleeper sleeper2;
  Client client2(test_options(far, sleeper2));
  client2.chat().completions().create(hello_request());
  EXPECT_EQ(sleeper2.delays(), (std::vector<Duration>{500ms}));  // beyond 60 s: its own backoff
}

TEST(Retry, XShouldRetryOverridesTheStatus) {
  ScriptedServer never([](const ScriptedRequest&) {
    return ScriptedReply{.status = 500, .headers = {{"x-should-retry", "false"}}};
  });
  RecordingSleeper sleeper;
  Client client(test_options(never, sleeper));
  EXPECT_THROW(client.chat().completions().create(hello_request()), InternalServerError);
  EXPECT_EQ(never.requests(), 1);

  std::atomic<int> n{0};
  ScriptedServer always([&](const ScriptedRequest&) {
    return ++n == 1 ? ScriptedReply{.status = 400, .headers = {{"x-should-retry", "true"}}}
                    : ScriptedReply{.body = chat_completion_json("ok")};
  });
  Client client2(test_options(always, sleeper));
  client2.chat().completions().create(hello_request());
  EXPECT_EQ(always.requests(), 2);
}

TEST(Retry, ConnectionErrorsAreRetriedThenSurfaceAsAPIConnectionError) {
  int port;
  {
    ScriptedServer gone([](const ScriptedRequest&) { return ScriptedReply{}; });
    port = gone.port();
  }
  RecordingSleeper sleeper;
  ClientOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(port);
  options.api_key = "k";
  options.sleeper = sleeper.sleeper();
  options.random = [] { return 0.0; };
  Client client(options);
  try {
    client.chat().completions().create(hello_request());
    FAIL() << "no error";
  } catch (const APITimeoutError&) {
    FAIL() << "a refused connection is no timeout";
  } catch (const APIConnectionError& e) {
    EXPECT_EQ(e.status(), 0);
  }
  EXPECT_EQ(sleeper.delays().size(), 2u);
}

TEST(Retry, DroppedConnectionsAreRetried) {
  std::atomic<int> n{0};
  ScriptedServer server([&](const ScriptedRequest&) {
    return ++n == 1 ? ScriptedReply{.drop = true} : ScriptedReply{.body = chat_completion_json("ok")};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  EXPECT_EQ(client.chat().completions().create(hello_request()).choices.at(0).message.content, "ok");
  EXPECT_EQ(sleeper.delays().size(), 1u);
}

}  // namespace
}  // namespace tachyon::client
