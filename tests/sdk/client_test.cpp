// Requests, typed answers, errors, timeouts and raw responses against a scripted server.
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

TEST(Client, ChatCompletionIsSentAndParsedWithUnknownFieldsKept) {
  ScriptedRequest seen;
  std::mutex mutex;
  ScriptedServer server([&](const ScriptedRequest& r) {
    std::lock_guard lock(mutex);
    seen = r;
    return ScriptedReply{.body = chat_completion_json("Hi there")};
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.base_url = server.base_url() + "/v1/";  // as OpenAI writes it
  Client client(options);
  auto request = hello_request();
  request.extra["search_mode"] = "web";
  auto answer = client.chat().completions().create(request);
  EXPECT_EQ(answer.id, "chatcmpl-1");
  EXPECT_EQ(answer.choices.at(0).message.content, "Hi there");
  EXPECT_EQ(answer.choices.at(0).finish_reason, "stop");
  EXPECT_EQ(answer.usage->total_tokens, 4);
  EXPECT_EQ(answer.raw["citations"][0], "https://example.com");

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer test-key");
  auto body = Json::parse(seen.body);
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(body["messages"][0]["content"], "Hello");
  EXPECT_EQ(body["max_tokens"], 8);
  EXPECT_EQ(body["search_mode"], "web");
  EXPECT_FALSE(body.contains("stream"));
}

TEST(Client, EveryResourceUsesItsPath) {
  std::mutex mutex;
  std::vector<std::string> targets;
  ScriptedServer server([&](const ScriptedRequest& r) {
    std::lock_guard lock(mutex);
    targets.push_back(r.method + " " + r.target);
    if (r.target == "/v1/models") return ScriptedReply{.body = R"({"object":"list","data":[{"id":"a","owned_by":"x"}]})"};
    if (r.target == "/search") return ScriptedReply{.body = R"({"id":"s","results":[{"title":"T","url":"u","snippet":"s","date":null}]})"};
    if (r.target == "/v1/embeddings") return ScriptedReply{.body = R"({"model":"e","data":[{"index":0,"embedding":[0.5,1]}]})"};
    if (r.target == "/v1/responses")
      return ScriptedReply{.body = R"({"id":"r","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"hey"}]}]})"};
    if (r.target.starts_with("/async/chat/completions"))
      return ScriptedReply{.body = R"({"id":"job 1","model":"m","status":"CREATED","created_at":5,"response":null})"};
    return ScriptedReply{.body = R"({"id":"a","owned_by":"x"})"};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  EXPECT_EQ(client.models().list().data.at(0).id, "a");
  EXPECT_EQ(client.models().retrieve("a/b").id, "a");
  EXPECT_EQ(client.search().create({.query = "q", .max_results = 3}).results.at(0).title, "T");
  EXPECT_EQ(client.embeddings().create({.model = "e", .input = {"x"}}).data.at(0).embedding.at(1), 1.0f);
  EXPECT_EQ(client.responses().create({.model = "m", .input = "hi"}).output_text(), "hey");
  auto job = client.async().chat().completions().create({.request = hello_request()});
  EXPECT_EQ(job.status, "CREATED");
  client.async().chat().completions().get(job.id);
  std::lock_guard lock(mutex);
  EXPECT_EQ(targets, (std::vector<std::string>{"GET /v1/models", "GET /v1/models/a%2Fb", "POST /search",
                                               "POST /v1/embeddings", "POST /v1/responses",
                                               "POST /async/chat/completions", "GET /async/chat/completions/job%201"}));
}

TEST(Client, StatusesBecomeTypedErrorsWithBodyAndRequestId) {
  std::atomic<int> status{400};
  ScriptedServer server([&](const ScriptedRequest&) {
    return ScriptedReply{.status = status.load(),
                         .headers = {{"X-Request-ID", "req-" + std::to_string(status.load())}},
                         .body = R"({"error":{"message":"nope","type":"x","code":"y"}})"};
  });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.max_retries = 0;
  Client client(options);
  auto expect = [&]<class E>(int s) {
    status = s;
    try {
      client.chat().completions().create(hello_request());
      ADD_FAILURE() << "no error for " << s;
    } catch (const E& e) {
      EXPECT_EQ(e.status(), s);
      EXPECT_EQ(e.request_id(), "req-" + std::to_string(s));
      EXPECT_EQ(e.json_body()["error"]["code"], "y");
      EXPECT_EQ(std::string(e.what()), "Error code: " + std::to_string(s) + " - nope");
    }
  };
  expect.operator()<BadRequestError>(400);
  expect.operator()<AuthenticationError>(401);
  expect.operator()<PermissionDeniedError>(403);
  expect.operator()<NotFoundError>(404);
  expect.operator()<RateLimitError>(429);
  expect.operator()<InternalServerError>(500);
  expect.operator()<APIStatusError>(418);
}

TEST(Client, ReadTimeoutEndsARequestThatGetsNoAnswer) {
  ScriptedServer server([](const ScriptedRequest&) { return ScriptedReply{.delay = 5s}; });
  RecordingSleeper sleeper;
  auto options = test_options(server, sleeper);
  options.max_retries = 1;
  options.timeouts.read = 150ms;
  Client client(options);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(client.chat().completions().create(hello_request()), APITimeoutError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(server.requests(), 2);  // timeouts are retried

  // The same through a per-request override of generous client defaults.
  options.timeouts.read = 60s;
  Client patient(options);
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(patient.chat().completions().create(hello_request(), {.max_retries = 0, .total_timeout = 200ms}),
               APITimeoutError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Client, RawResponseGivesStatusHeadersRateLimitsAndParse) {
  ScriptedServer server([](const ScriptedRequest& r) {
    if (r.target == "/v1/models") {
      return ScriptedReply{.headers = {{"x-request-id", "r2"}, {"x-ratelimit-remaining-requests", "41"},
                                       {"x-ratelimit-reset-requests", "1m30s"}},
                           .body = R"({"data":[]})"};
    }
    return ScriptedReply{.headers = {{"X-Request-ID", "abc"}, {"X-RateLimit-Remaining", "7"}, {"X-RateLimit-Reset", "12"}},
                         .body = chat_completion_json("raw")};
  });
  RecordingSleeper sleeper;
  Client client(test_options(server, sleeper));
  auto raw = client.chat().completions().with_raw_response(hello_request());
  EXPECT_EQ(raw.status_code(), 200);
  EXPECT_EQ(raw.request_id(), "abc");
  EXPECT_EQ(raw.header("x-ratelimit-remaining"), "7");
  EXPECT_EQ(raw.rate_limit_remaining(), 7);
  EXPECT_EQ(raw.rate_limit_reset(), Duration(12s));
  EXPECT_GT(raw.elapsed(), Duration(0));
  EXPECT_EQ(raw.parse().choices.at(0).message.content, "raw");

  auto models = client.models().with_raw_response();
  EXPECT_EQ(models.rate_limit_remaining(), 41);
  EXPECT_EQ(models.rate_limit_reset(), Duration(90s));
}

TEST(Client, AsyncClientAwaitsAndGivesFutures) {
  ScriptedServer server([](const ScriptedRequest&) { return ScriptedReply{.body = chat_completion_json("async")}; });
  RecordingSleeper sleeper;
  boost::asio::io_context io;
  AsyncClient client(io.get_executor(), test_options(server, sleeper));
  std::string content;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        auto answer = co_await client.chat().completions().create(hello_request());
        content = *answer.choices.at(0).message.content;
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(content, "async");

  AsyncClient threaded(test_options(server, sleeper));  // its own I/O thread
  auto future = threaded.chat().completions().create_future(hello_request());
  EXPECT_EQ(future.get().choices.at(0).message.content, "async");
}

TEST(Client, EnvironmentSuppliesKeyAndBaseUrl) {
  ScriptedRequest seen;
  std::mutex mutex;
  ScriptedServer server([&](const ScriptedRequest& r) {
    std::lock_guard lock(mutex);
    seen = r;
    return ScriptedReply{.body = chat_completion_json("env")};
  });
  ::setenv("TACHYON_BASE_URL", server.base_url().c_str(), 1);
  ::setenv("TACHYON_API_KEY", "from-env", 1);
  {
    Client client;
    client.chat().completions().create(hello_request());
  }
  ::unsetenv("TACHYON_API_KEY");
  ::setenv("PERPLEXITY_API_KEY", "pplx", 1);
  {
    Client client(ClientOptions::for_perplexity());
    client.chat().completions().create(hello_request());
  }
  ::unsetenv("PERPLEXITY_API_KEY");
  ::unsetenv("TACHYON_BASE_URL");
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.headers["authorization"], "Bearer pplx");
  EXPECT_EQ(seen.target, "/chat/completions");
}

}  // namespace
}  // namespace tachyon::client
