// What only the Redis limiter has: replicas sharing one budget on Redis's clock, keys that expire,
// a lost script cache, and Redis going away and coming back. Against a real redis-server this test
// starts; skipped where there is none. The bucket semantics themselves are in
// rate_limiter_test.cpp.
#include "platform/redis_rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "redis_test_server.h"

namespace tachyon::platform {
namespace {

using testing::RedisTestServer;
using Clock = std::chrono::steady_clock;

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = RedisTestServer::unavailable_reason()) GTEST_SKIP() << *why;
    redis_ = std::make_unique<RedisTestServer>();
    ASSERT_TRUE(redis_->running()) << "redis-server did not start";
  }

  // One replica's limiter: its own client (connections), Redis's clock.
  std::unique_ptr<RedisRateLimiter> replica() {
    return std::make_unique<RedisRateLimiter>(std::make_unique<RedisClient>(redis_->address()));
  }

  RedisReply command(const std::vector<std::string>& argv) {
    RedisClient client(redis_->address());
    auto reply = client.command(argv);
    EXPECT_TRUE(reply.ok()) << reply.error().message;
    return reply.ok() ? *reply : RedisReply{};
  }

  std::unique_ptr<RedisTestServer> redis_;
};

TEST_F(RedisRateLimiterTest, TwoReplicasShareOneBudgetExactly) {
  auto a = replica();
  auto b = replica();
  const RateLimits ten_rpm{10, 0};
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    RedisRateLimiter& r = i % 2 ? *a : *b;
    auto decision = r.admit("shared", ten_rpm, 1, 0);
    ASSERT_TRUE(decision.ok()) << decision.error().message;
    admitted += decision->admitted;
  }
  EXPECT_EQ(admitted, 10);  // one request refills in 6 s: none during the test
}

TEST_F(RedisRateLimiterTest, ConcurrentAdmissionsFromManyThreadsNeverOverspend) {
  auto a = replica();
  auto b = replica();
  const RateLimits limits{0, 1000};  // 1000 tokens: 100 requests of 10
  std::atomic<int> admitted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      RedisRateLimiter& r = t % 2 ? *a : *b;
      for (int i = 0; i < 25; ++i) {
        auto decision = r.admit("tokens", limits, 1, 10);
        if (!decision) ++failed;
        else admitted += decision->admitted;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  // 200 tries, 100 fit; a few more may refill (1000 per minute) while the threads run.
  EXPECT_GE(admitted.load(), 100);
  EXPECT_LE(admitted.load(), 103);
}

TEST_F(RedisRateLimiterTest, RefillsFollowRedisClock) {
  auto limiter = replica();
  // One request per second: emptying the bucket takes far less than a refill, even on a busy
  // machine (600 per minute, one per 100 ms, refilled during the loop under load).
  const RateLimits limits{60, 0};
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter->admit("k", limits, 1, 0)->admitted) << i;
  auto refused = limiter->admit("k", limits, 1, 0);
  ASSERT_TRUE(refused.ok());
  ASSERT_FALSE(refused->admitted);
  EXPECT_GT(refused->retry_after_ms, 0);
  EXPECT_LE(refused->retry_after_ms, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(refused->retry_after_ms + 1));
  EXPECT_TRUE(limiter->admit("k", limits, 1, 0)->admitted);
}

TEST_F(RedisRateLimiterTest, AKeyExpiresOnceItsBucketsWouldBeFull) {
  RedisRateLimiterOptions options;
  options.key_prefix = "rl:";
  RedisRateLimiter limiter(std::make_unique<RedisClient>(redis_->address()), options);
  ASSERT_TRUE(limiter.peek("idle", {5, 0}).ok());
  EXPECT_EQ(command({"EXISTS", "rl:idle"}).integer, 0);  // peeking stores nothing
  ASSERT_TRUE(limiter.admit("busy", {5, 0}, 1, 0)->admitted);
  // One request of 5 per minute refills in 12 s; the hash outlives that by a minute at most.
  const int64_t ttl = command({"PTTL", "rl:busy"}).integer;
  EXPECT_GT(ttl, 60'000);
  EXPECT_LE(ttl, 72'000);
  // Unlimited keys never reach Redis.
  ASSERT_TRUE(limiter.admit("free", {}, 1, 100)->admitted);
  EXPECT_EQ(command({"EXISTS", "rl:free"}).integer, 0);
}

TEST_F(RedisRateLimiterTest, ALostScriptCacheIsRefilledByEval) {
  auto limiter = replica();
  const RateLimits limits{5, 0};
  ASSERT_EQ(limiter->admit("k", limits, 1, 0)->snapshot.requests->remaining, 4);
  EXPECT_EQ(command({"SCRIPT", "FLUSH"}).text, "OK");
  auto after = limiter->admit("k", limits, 1, 0);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->snapshot.requests->remaining, 3);
  EXPECT_EQ(limiter->admit("k", limits, 1, 0)->snapshot.requests->remaining, 2);
}

TEST_F(RedisRateLimiterTest, RedisDownIsUnavailableAtOnceAndLimitsResumeWhenItIsBack) {
  auto limiter = replica();
  const RateLimits limits{2, 0};
  ASSERT_TRUE(limiter->admit("k", limits, 1, 0)->admitted);
  ASSERT_TRUE(limiter->check_backend().ok());

  redis_->stop();
  const auto start = Clock::now();
  auto down = limiter->admit("k", limits, 1, 0);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(down.error().message.find("127.0.0.1"), std::string::npos) << down.error().message;
  EXPECT_EQ(limiter->settle("k", {0, 10}, 10, 5).error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(limiter->peek("k", limits).error().kind, ErrorKind::Unavailable);
  EXPECT_FALSE(limiter->check_backend().ok());
  EXPECT_TRUE(limiter->admit("k", {}, 1, 0)->admitted);  // no limits: nothing to ask
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));

  ASSERT_TRUE(redis_->start());  // same port, empty
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the reconnect backoff
  ASSERT_TRUE(limiter->check_backend().ok());
  ASSERT_TRUE(limiter->admit("k", limits, 1, 0)->admitted);
  ASSERT_TRUE(limiter->admit("k", limits, 1, 0)->admitted);
  auto limited = limiter->admit("k", limits, 1, 0);
  ASSERT_TRUE(limited.ok()) << limited.error().message;
  EXPECT_FALSE(limited->admitted);
}

}  // namespace
}  // namespace tachyon::platform
