#include "http/http_server.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/async_queue.h"
#include "http/error_response.h"
#include "http_test_client.h"

namespace tachyon {
namespace {

using namespace std::chrono_literals;
using http_test::TestClient;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// Polls `condition` for up to `timeout`; for counters updated on the server's threads.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

nlohmann::json json_of(const http_test::Response& response) {
  return nlohmann::json::parse(response.body());
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.get("/hello", [](const HttpRequest& request, ResponseWriter& writer) -> asio::awaitable<void> {
      std::string name = request.query_param("name").value_or("you");
      co_await writer.send(HttpResponse::text(200, "hello " + name));
    });
    router.get("/v1/models/{id}", [](const HttpRequest& request, ResponseWriter& writer) -> asio::awaitable<void> {
      nlohmann::json body = {{"id", request.path_param("id")}};
      co_await writer.send(HttpResponse::json(200, body.dump()));
    });
    router.post("/echo", [](const HttpRequest& request, ResponseWriter& writer) -> asio::awaitable<void> {
      HttpResponse response = HttpResponse::text(200, request.body);
      response.headers.set("X-Seen-Request-ID", request.request_id);
      co_await writer.send(std::move(response));
    });
    router.get("/slow", [](const HttpRequest&, ResponseWriter& writer) -> asio::awaitable<void> {
      co_await sleep_for(300ms);
      co_await writer.send(HttpResponse::text(200, "slow done"));
    });
    router.get("/throws", [](const HttpRequest&, ResponseWriter&) -> asio::awaitable<void> {
      throw std::runtime_error("handler bug");
      co_return;
    });
  }

  void start(HttpServerOptions options = {}) {
    options.port = 0;
    server = std::make_unique<HttpServer>(options, std::move(router), [this](const RequestLogEntry& entry) {
      std::lock_guard lock(log_mutex);
      log.push_back(entry);
    });
    Status status = server->start();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_NE(server->port(), 0);
  }

  void TearDown() override {
    if (server) server->stop(1000ms);
  }

  Router router;
  std::unique_ptr<HttpServer> server;
  std::mutex log_mutex;
  std::vector<RequestLogEntry> log;
};

TEST_F(HttpServerTest, RoutesWithQueryAndPathParameters) {
  start();
  TestClient client(server->port());
  auto hello = client.request("GET", "/hello?name=tachyon%21");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->result_int(), 200);
  EXPECT_EQ(hello->body(), "hello tachyon!");

  auto model = client.request("GET", "/v1/models/org%2Fllama");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->result_int(), 200);
  EXPECT_EQ(json_of(*model)["id"], "org/llama");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405InOpenAiShape) {
  start();
  TestClient client(server->port());
  auto missing = client.request("GET", "/v1/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404);
  EXPECT_EQ((*missing)["Content-Type"], "application/json");
  nlohmann::json error = json_of(*missing)["error"];
  EXPECT_EQ(error["type"], "invalid_request_error");
  EXPECT_EQ(error["code"], "not_found");
  EXPECT_TRUE(error["param"].is_null());
  EXPECT_FALSE(error["message"].get<std::string>().empty());

  auto wrong = client.request("POST", "/hello", "{}");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->result_int(), 405);
  EXPECT_EQ((*wrong)["Allow"], "GET");
  EXPECT_EQ(json_of(*wrong)["error"]["code"], "method_not_allowed");
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  start(options);
  TestClient client(server->port());
  std::string body((1 << 20) + 1, 'x');
  auto response = client.request("POST", "/echo", body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413);
  EXPECT_EQ(json_of(*response)["error"]["type"], "invalid_request_error");
  EXPECT_FALSE(response->keep_alive());

  TestClient fits(server->port());
  auto ok = fits.request("POST", "/echo", std::string(1 << 20, 'y'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result_int(), 200);
  EXPECT_EQ(ok->body().size(), size_t{1} << 20);
}

TEST_F(HttpServerTest, DefaultBodyLimitIs8MiB) {
  start();
  TestClient client(server->port());
  std::string headers = "Content-Length: " + std::to_string((8 << 20) + 1) + "\r\n";
  ASSERT_TRUE(client.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 413);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  TestClient client(server->port());
  for (int i = 0; i < 5; ++i) {
    auto response = client.request("POST", "/echo", "n=" + std::to_string(i));
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->body(), "n=" + std::to_string(i));
    EXPECT_TRUE(response->keep_alive());
  }
  EXPECT_EQ(server->open_connections(), 1);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  TestClient client(server->port());
  std::string pipelined;
  for (int i = 0; i < 3; ++i) {
    pipelined += fmt::format("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\np{}", i);
  }
  pipelined += "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(client.send_raw(pipelined));
  for (int i = 0; i < 3; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body(), fmt::format("p{}", i));
  }
  auto last = client.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body(), "hello you");
}

TEST_F(HttpServerTest, RequestIdIsEchoedOrGenerated) {
  start();
  TestClient client(server->port());
  auto echoed = client.request("POST", "/echo", "a", "X-Request-ID: client-id-42\r\n");
  ASSERT_TRUE(echoed);
  EXPECT_EQ((*echoed)["X-Request-ID"], "client-id-42");
  EXPECT_EQ((*echoed)["X-Seen-Request-ID"], "client-id-42");

  auto generated = client.request("POST", "/echo", "b");
  ASSERT_TRUE(generated);
  std::string id((*generated)["X-Request-ID"]);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ((*generated)["X-Seen-Request-ID"], id);

  auto errored = client.request("GET", "/missing", "", "x-request-id: lower-case-header\r\n");
  ASSERT_TRUE(errored);
  EXPECT_EQ((*errored)["X-Request-ID"], "lower-case-header");
}

TEST_F(HttpServerTest, HandlerFailureBecomes500AndIsLogged) {
  start();
  TestClient client(server->port());
  auto response = client.request("GET", "/throws");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 500);
  EXPECT_EQ(json_of(*response)["error"]["type"], "server_error");
  ASSERT_TRUE(client.request("GET", "/hello"));

  // The entry is written after the response has gone out.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log_mutex);
    return log.size() == 2;
  }));
  std::lock_guard lock(log_mutex);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].path, "/throws");
  EXPECT_EQ(log[0].status, 500);
  EXPECT_EQ(log[1].status, 200);
  EXPECT_EQ(log[1].request_id.size(), 32u);
  EXPECT_EQ(log[1].remote_address, "127.0.0.1");
}

// Events pushed by a plain thread, as the inference engine does, reach the SSE stream in order.
TEST_F(HttpServerTest, StreamsEventsPushedFromAnotherThread) {
  constexpr int kEvents = 20;
  std::vector<std::thread> producers;
  std::mutex producers_mutex;
  router.post("/stream", [&](const HttpRequest&, ResponseWriter& writer) -> asio::awaitable<void> {
    auto queue = std::make_shared<AsyncQueue<std::string>>(co_await asio::this_coro::executor);
    {
      std::lock_guard lock(producers_mutex);
      producers.emplace_back([queue] {
        for (int i = 0; i < kEvents; ++i) {
          queue->push("{\"i\":" + std::to_string(i) + "}");
          std::this_thread::sleep_for(1ms);
        }
        queue->push("[DONE]");
        queue->close();
      });
    }
    co_await writer.start_sse(200, {});
    while (std::optional<std::string> event = co_await queue->pop()) {
      co_await writer.send_event(std::move(*event));
    }
    co_await writer.end_sse();
  });
  start();

  TestClient client(server->port());
  auto response = client.request("POST", "/stream", "{}");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->result_int(), 200);
  EXPECT_EQ((*response)["Content-Type"], "text/event-stream");
  EXPECT_TRUE(response->chunked());
  EXPECT_EQ((*response)["X-Request-ID"].size(), 32u);
  std::string expected;
  for (int i = 0; i < kEvents; ++i) expected += "data: {\"i\":" + std::to_string(i) + "}\n\n";
  expected += "data: [DONE]\n\n";
  EXPECT_EQ(response->body(), expected);

  // The connection is reusable after the stream ends.
  auto after = client.request("GET", "/hello");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->result_int(), 200);

  for (std::thread& producer : producers) producer.join();
  std::lock_guard lock(log_mutex);
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(log[0].streamed);
}

TEST_F(HttpServerTest, ClientDisconnectIsDetectedMidStream) {
  std::atomic<bool> cancelled{false};
  std::promise<int> events_before_stop;
  std::thread producer;
  router.get("/stream", [&](const HttpRequest&, ResponseWriter& writer) -> asio::awaitable<void> {
    auto queue = std::make_shared<AsyncQueue<int>>(co_await asio::this_coro::executor);
    // Produces until the handler reports the client gone, like a generation being cancelled.
    producer = std::thread([queue, &cancelled] {
      for (int i = 0; !cancelled.load() && i < 100000; ++i) {
        queue->push(i);
        std::this_thread::sleep_for(2ms);
      }
      queue->close();
    });
    co_await writer.start_sse(200, {});
    int sent = 0;
    while (std::optional<int> event = co_await queue->pop()) {
      if (!co_await writer.send_event(std::to_string(*event))) break;
      sent++;
    }
    EXPECT_TRUE(writer.client_gone());
    cancelled = true;
    events_before_stop.set_value(sent);
  });
  start();

  {
    TestClient client(server->port());
    ASSERT_TRUE(client.send_request("GET", "/stream"));
    client.begin_response();
    while (client.partial().body().find("data: 2\n\n") == std::string::npos) {
      ASSERT_TRUE(client.read_more().has_value());
    }
  }
  auto future = events_before_stop.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_GE(future.get(), 3);
  producer.join();
  EXPECT_TRUE(eventually([&] { return server->active_requests() == 0; }));
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionTimesOut) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  TestClient client(server->port());
  ASSERT_TRUE(client.request("GET", "/hello"));
  auto before = Clock::now();
  EXPECT_TRUE(client.wait_closed());
  EXPECT_GE(Clock::now() - before, 150ms);
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequestsAndClosesIdleOnes) {
  start();
  TestClient idle(server->port());
  ASSERT_TRUE(idle.request("GET", "/hello"));
  // The counter drops just after the response is written; wait so 1 below means /slow.
  ASSERT_TRUE(eventually([&] { return server->active_requests() == 0; }));
  TestClient busy(server->port());
  ASSERT_TRUE(busy.send_request("GET", "/slow"));
  ASSERT_TRUE(eventually([&] { return server->active_requests() == 1; }));

  auto stop_started = Clock::now();
  std::thread stopper([&] { server->stop(5000ms); });
  EXPECT_TRUE(idle.wait_closed());
  auto response = busy.read_response();
  stopper.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body(), "slow done");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_LT(Clock::now() - stop_started, 3000ms);
  EXPECT_EQ(server->open_connections(), 0);
  EXPECT_FALSE(TestClient(server->port()).connected());
}

TEST_F(HttpServerTest, StopCancelsHandlersStillRunningAfterGrace) {
  std::atomic<bool> unwound{false};
  auto queue_holder = std::make_shared<std::shared_ptr<AsyncQueue<int>>>();
  router.get("/forever", [&](const HttpRequest&, ResponseWriter& writer) -> asio::awaitable<void> {
    struct Unwind {
      std::atomic<bool>& flag;
      ~Unwind() { flag = true; }
    } unwind{unwound};
    auto queue = std::make_shared<AsyncQueue<int>>(co_await asio::this_coro::executor);
    co_await writer.start_sse(200, {});
    co_await queue->pop();  // nobody ever pushes
  });
  start();
  TestClient client(server->port());
  ASSERT_TRUE(client.send_request("GET", "/forever"));
  ASSERT_TRUE(eventually([&] { return server->active_requests() == 1; }));

  auto before = Clock::now();
  server->stop(100ms);
  EXPECT_LT(Clock::now() - before, 1000ms);
  EXPECT_TRUE(unwound.load());
  EXPECT_EQ(server->active_requests(), 0);
  EXPECT_EQ(server->open_connections(), 0);
}

// Thousands of idle keep-alive connections must not starve active ones; 500 keeps it quick.
TEST_F(HttpServerTest, HoldsManyIdleConnectionsWhileServingOthers) {
  constexpr int kIdle = 500;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 2 * kIdle + 64) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2 * kIdle + 256);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  start();
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<TestClient>(server->port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
    // Half of them have served a request, half never sent one: both kinds stay open.
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back()->request("GET", "/hello")) << "connection " << i;
    }
  }
  ASSERT_TRUE(eventually([&] { return server->open_connections() == kIdle; }));

  auto before = Clock::now();
  for (int i = 0; i < 50; ++i) {
    TestClient client(server->port());
    auto response = client.request("GET", "/hello");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200);
  }
  EXPECT_LT(Clock::now() - before, 2000ms);
  EXPECT_TRUE(eventually([&] { return server->open_connections() == kIdle; }));

  // The idle ones are still usable.
  auto reused = idle[kIdle - 1]->request("GET", "/hello");
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->result_int(), 200);
}

}  // namespace
}  // namespace tachyon
