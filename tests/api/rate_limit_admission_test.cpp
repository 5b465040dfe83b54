// Requests under their key's limits as the endpoints admit them: 429 over a limit, and the
// failure policy when the limiter's Redis does not answer (closed: 503 with Retry-After, open:
// admitted unmetered), counted on /metrics. Against real limiters: in memory, a Redis port
// nothing listens on, and a redis-server this test starts and stops (skipped where there is none).
#include "api/rate_limit_admission.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "api/run_to_end.h"
#include <nlohmann/json.hpp>

#include <thread>

#include "api/endpoints.h"
#include "api/metering.h"
#include "platform/memory_rate_limiter.h"
#include "platform/redis_rate_limiter.h"
#include "platform/redis_test_server.h"
#include "platform/sqlite_store.h"
#include "platform/temp_dir.h"

namespace tachyon {
namespace {

using tachyon::testing::run_to_end;

using platform::testing::RedisTestServer;
using platform::testing::TempDir;

class CapturingWriter final : public ResponseWriter {
 public:
  asio::awaitable<bool> send(HttpResponse r) override {
    response = std::move(r);
    co_return true;
  }
  asio::awaitable<bool> start_sse(int, HttpHeaders) override { co_return false; }
  asio::awaitable<bool> send_event(std::string) override { co_return false; }
  asio::awaitable<bool> end_sse() override { co_return false; }
  bool client_gone() override { return false; }
  bool response_started() const override { return response.status != 0; }
  HttpResponse response;
};

class RateLimitAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = platform::open_sqlite_store(tmp_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    ctx_.platform.store = std::move(*store);
    ctx_.platform.usage = std::make_unique<platform::UsageRecorder>(*ctx_.platform.store);
    platform::AuthenticatedKey key;
    key.id = "key_test";
    key.limits = {2, 0};
    caller_.key = key;
  }

  void use_redis(platform::RedisAddress address) {
    ctx_.platform.limiter =
        std::make_unique<platform::RedisRateLimiter>(std::make_unique<platform::RedisClient>(std::move(address)));
  }

  // Sends the refusal of `decision` and returns the response; its usage row is committed first.
  HttpResponse refuse(const RateDecision& decision) {
    HttpRequest req;
    req.path = "/v1/chat/completions";
    req.request_id = "req-" + std::to_string(++n_refusals_);
    CapturingWriter writer;
    run_to_end(refuse_unadmitted(ctx_, refusal_usage_row(caller_, req, "m", 0), caller_, decision, writer),
               ctx_.platform.usage.get());
    auto rows = ctx_.platform.store->usage_of_request(req.request_id);
    EXPECT_TRUE(rows.ok() && rows->size() == 1u && rows->front().status == writer.response.status);
    return writer.response;
  }

  std::string scrape() {
    HttpRequest req;
    req.remote_address = "127.0.0.1";
    CapturingWriter writer;
    run_to_end(endpoints::metrics(ctx_, req, writer));
    return writer.response.body;
  }

  TempDir tmp_;
  ServerContext ctx_;
  Caller caller_;
  int n_refusals_ = 0;
};

TEST_F(RateLimitAdmissionTest, OverTheLimitIs429WithRetryAfter) {
  int64_t now = 0;
  ctx_.platform.limiter = std::make_unique<platform::MemoryRateLimiter>([&now] { return now; });
  ASSERT_TRUE(admit_request(ctx_, caller_).admitted());
  const RateDecision second = admit_request(ctx_, caller_);
  ASSERT_TRUE(second.admitted());
  EXPECT_EQ(second.reserved_tokens, 0);  // metered: the key has no token limit
  EXPECT_EQ(caller_.rate->requests->remaining, 0);
  const RateDecision third = admit_request(ctx_, caller_);
  ASSERT_EQ(third.outcome, RateDecision::Outcome::Limited);
  EXPECT_EQ(third.retry_after_ms, 30'000);
  const HttpResponse r = refuse(third);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.get("Retry-After"), "30");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "rate_limit_exceeded");
}

TEST_F(RateLimitAdmissionTest, UnreachableRedisFailsClosedWith503OrOpenUnmetered) {
  use_redis(platform::RedisAddress{"127.0.0.1", RedisTestServer::free_port(), 0, "", ""});
  const RateDecision closed = admit_request(ctx_, caller_);
  ASSERT_EQ(closed.outcome, RateDecision::Outcome::Unavailable);
  ASSERT_TRUE(caller_.rate);  // known to be unknown: no headers, no second attempt to peek
  EXPECT_FALSE(caller_.rate->requests);
  const HttpResponse r = refuse(closed);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.get("Retry-After"), "1");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "service_unavailable");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("rate limits"), std::string::npos);
  EXPECT_EQ(body["error"]["message"].get<std::string>().find("127.0.0.1"), std::string::npos);  // no internals

  ctx_.platform.rate_limit_fail_open = true;
  const RateDecision open = admit_request(ctx_, caller_);
  EXPECT_TRUE(open.admitted());
  EXPECT_FALSE(open.reserved_tokens);  // unmetered: nothing to settle
  settle_under_limits(ctx_, caller_, open, 100);

  const std::string metrics = scrape();
  EXPECT_NE(metrics.find(R"(tachyon_rate_limit_backend_errors_total{operation="admit",outcome="refused"} 1)"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(tachyon_rate_limit_backend_errors_total{operation="admit",outcome="admitted_unmetered"} 1)"),
            std::string::npos) << metrics;
  EXPECT_EQ(metrics.find(R"(operation="settle")"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tachyon_rate_limit_backend_up 0"), std::string::npos) << metrics;
}

TEST_F(RateLimitAdmissionTest, RedisStoppedMidwayThenRestarted) {
  if (auto why = RedisTestServer::unavailable_reason()) GTEST_SKIP() << *why;
  RedisTestServer redis;
  ASSERT_TRUE(redis.running());
  use_redis(redis.address());
  const RateDecision first = admit_request(ctx_, caller_);
  ASSERT_TRUE(first.admitted());
  EXPECT_EQ(first.reserved_tokens, 0);
  EXPECT_EQ(caller_.rate->requests->remaining, 1);
  EXPECT_NE(scrape().find("tachyon_rate_limit_backend_up 1"), std::string::npos);

  redis.stop();
  EXPECT_EQ(admit_request(ctx_, caller_).outcome, RateDecision::Outcome::Unavailable);
  ctx_.platform.rate_limit_fail_open = true;
  EXPECT_TRUE(admit_request(ctx_, caller_).admitted());
  EXPECT_NE(scrape().find("tachyon_rate_limit_backend_up 0"), std::string::npos);

  ASSERT_TRUE(redis.start());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the client's reconnect backoff
  ctx_.platform.rate_limit_fail_open = false;
  EXPECT_TRUE(admit_request(ctx_, caller_).admitted());
  EXPECT_TRUE(admit_request(ctx_, caller_).admitted());
  EXPECT_EQ(admit_request(ctx_, caller_).outcome, RateDecision::Outcome::Limited);
  EXPECT_NE(scrape().find("tachyon_rate_limit_backend_up 1"), std::string::npos);
}

}  // namespace
}  // namespace tachyon
