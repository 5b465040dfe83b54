// The token-bucket semantics every RateLimiter must have, checked against each backend: in
// memory, and in a real redis-server this test starts (skipped where there is none). Both run on
// a clock the test moves by hand.
#include "platform/rate_limiter.h"

#include <gtest/gtest.h>

#include "platform/memory_rate_limiter.h"
#include "platform/redis_rate_limiter.h"
#include "redis_test_server.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::ManualClock;
using testing::RedisTestServer;

enum class LimiterBackend { Memory, Redis };

class RateLimiterTest : public ::testing::TestWithParam<LimiterBackend> {
 protected:
  static void TearDownTestSuite() { redis_.reset(); }

  void SetUp() override {
    if (GetParam() == LimiterBackend::Memory) {
      limiter_ = std::make_unique<MemoryRateLimiter>(clock_.fn());
      return;
    }
    if (auto why = RedisTestServer::unavailable_reason()) GTEST_SKIP() << *why;
    if (!redis_) redis_ = std::make_unique<RedisTestServer>();  // one server for the whole suite
    ASSERT_TRUE(redis_->running()) << "redis-server did not start";
    RedisRateLimiterOptions options;
    // Tests share the server: each one's keys are its own.
    options.key_prefix = std::string("test:") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
    options.now_ms = clock_.fn();
    limiter_ = std::make_unique<RedisRateLimiter>(std::make_unique<RedisClient>(redis_->address()), options);
  }

  Admission admit(const std::string& key, const RateLimits& limits, int64_t n_tokens) {
    auto a = limiter_->admit(key, limits, 1, n_tokens);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? *a : Admission{};
  }
  void settle(const std::string& key, const RateLimits& limits, int64_t reserved, int64_t used) {
    const Status s = limiter_->settle(key, limits, reserved, used);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  RateSnapshot peek(const std::string& key, const RateLimits& limits) {
    auto s = limiter_->peek(key, limits);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : RateSnapshot{};
  }

  static inline std::unique_ptr<RedisTestServer> redis_;
  ManualClock clock_;
  std::unique_ptr<RateLimiter> limiter_;
};

TEST_P(RateLimiterTest, BurstsTheMinuteThenRefusesWithTheWaitUntilAdmission) {
  const RateLimits five_rpm{5, 0};
  for (int i = 0; i < 5; ++i) {
    Admission a = admit("k", five_rpm, 10);
    ASSERT_TRUE(a.admitted) << i;
    ASSERT_TRUE(a.snapshot.requests);
    EXPECT_EQ(a.snapshot.requests->limit, 5);
    EXPECT_EQ(a.snapshot.requests->remaining, 4 - i);
    EXPECT_FALSE(a.snapshot.tokens);  // unlimited
  }
  Admission refused = admit("k", five_rpm, 10);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after_ms, 12'000);  // one request refills in 60/5 s
  clock_.now += 11'999;
  EXPECT_FALSE(admit("k", five_rpm, 10).admitted);
  clock_.now += 1;
  EXPECT_TRUE(admit("k", five_rpm, 10).admitted);
}

TEST_P(RateLimiterTest, RetryAfterIsEnoughForTheRetryToBeAdmitted) {
  const RateLimits limits{7, 1000};
  int admitted = 0;
  for (int step = 0; step < 200; ++step) {
    Admission a = admit("k", limits, 97);
    if (a.admitted) {
      ++admitted;
      settle("k", limits, a.reserved_tokens, 50);
      continue;
    }
    ASSERT_GT(a.retry_after_ms, 0);
    clock_.now += a.retry_after_ms;
    ASSERT_TRUE(admit("k", limits, 97).admitted) << "step " << step;
    ++admitted;
  }
  EXPECT_EQ(admitted, 200);
}

TEST_P(RateLimiterTest, TokensAreReservedThenSettledToTheRealCount) {
  const RateLimits limits{0, 100};
  Admission a = admit("k", limits, 80);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.reserved_tokens, 80);
  EXPECT_EQ(a.snapshot.tokens->remaining, 20);
  EXPECT_FALSE(a.snapshot.requests);
  EXPECT_FALSE(admit("k", limits, 30).admitted);
  settle("k", limits, 80, 15);  // used 15 of the 80 reserved
  EXPECT_EQ(peek("k", limits).tokens->remaining, 85);
  EXPECT_TRUE(admit("k", limits, 30).admitted);
}

TEST_P(RateLimiterTest, ARequestIsTakenAtTheDoorAndItsTokensLater) {
  const RateLimits limits{2, 100};
  auto take = [&](int64_t requests, int64_t tokens) {
    auto a = limiter_->admit("k", limits, requests, tokens);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? *a : Admission{};
  };
  Admission door = take(1, 0);  // before the body is read
  ASSERT_TRUE(door.admitted);
  EXPECT_EQ(door.reserved_tokens, 0);
  EXPECT_EQ(door.snapshot.requests->remaining, 1);
  EXPECT_EQ(door.snapshot.tokens->remaining, 100);
  Admission tokens = take(0, 70);  // once the prompt is tokenized: no second request
  ASSERT_TRUE(tokens.admitted);
  EXPECT_EQ(tokens.reserved_tokens, 70);
  EXPECT_EQ(tokens.snapshot.requests->remaining, 1);
  EXPECT_EQ(tokens.snapshot.tokens->remaining, 30);
  ASSERT_TRUE(take(1, 0).admitted);
  Admission short_of_tokens = take(0, 70);  // refused: takes nothing
  EXPECT_FALSE(short_of_tokens.admitted);
  EXPECT_EQ(short_of_tokens.retry_after_ms, 24'000);  // 40 tokens at 100 a minute
  EXPECT_EQ(short_of_tokens.snapshot.tokens->remaining, 30);
  Admission no_request = take(1, 0);  // both requests of the minute are taken
  EXPECT_FALSE(no_request.admitted);
  EXPECT_EQ(no_request.retry_after_ms, 30'000);
  EXPECT_EQ(peek("k", limits).tokens->remaining, 30);
}

TEST_P(RateLimiterTest, AReservationBeyondTheLimitIsCappedAndChargedAsDebt) {
  const RateLimits limits{0, 60};
  Admission a = admit("k", limits, 500);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.reserved_tokens, 60);
  settle("k", limits, a.reserved_tokens, 120);  // 60 tokens of debt
  Admission next = admit("k", limits, 1);
  EXPECT_FALSE(next.admitted);
  EXPECT_EQ(next.retry_after_ms, 61'000);  // 61 tokens at one per second
}

TEST_P(RateLimiterTest, KeysAreIndependentAndResetCountsToFull) {
  const RateLimits limits{2, 0};
  ASSERT_TRUE(admit("a", limits, 0).admitted);
  ASSERT_TRUE(admit("a", limits, 0).admitted);
  EXPECT_FALSE(admit("a", limits, 0).admitted);
  EXPECT_TRUE(admit("b", limits, 0).admitted);
  EXPECT_EQ(peek("a", limits).requests->reset_ms, 60'000);
  clock_.now += 30'000;
  EXPECT_EQ(peek("a", limits).requests->remaining, 1);
  EXPECT_EQ(peek("a", limits).requests->reset_ms, 30'000);
}

TEST_P(RateLimiterTest, ARaisedLimitKeepsWhatWasUsedAndANewOneStartsFull) {
  ASSERT_TRUE(admit("k", {3, 0}, 0).admitted);
  ASSERT_TRUE(admit("k", {3, 0}, 0).admitted);
  EXPECT_EQ(peek("k", {5, 0}).requests->remaining, 3);  // 2 of 5 used
  EXPECT_EQ(peek("k", {5, 100}).tokens->remaining, 100);
}

TEST_P(RateLimiterTest, AFullBucketStaysFullAndPartialRefillsAreExact) {
  const RateLimits limits{0, 7};
  clock_.now += 3'600'000;  // an hour idle refills nothing beyond the limit
  EXPECT_EQ(peek("k", limits).tokens->remaining, 7);
  ASSERT_TRUE(admit("k", limits, 7).admitted);
  clock_.now += 8'571;  // 7 tokens per minute: one token per 8571.43 ms
  EXPECT_EQ(peek("k", limits).tokens->remaining, 0);
  EXPECT_EQ(peek("k", limits).tokens->reset_ms, 60'000 - 8'571);
  clock_.now += 1;
  EXPECT_EQ(peek("k", limits).tokens->remaining, 1);
}

TEST_P(RateLimiterTest, UnlimitedKeysAreAlwaysAdmitted) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(admit("k", {}, 1'000'000).admitted);
}

INSTANTIATE_TEST_SUITE_P(Backends, RateLimiterTest, ::testing::Values(LimiterBackend::Memory, LimiterBackend::Redis),
                         [](const ::testing::TestParamInfo<LimiterBackend>& info) {
                           return info.param == LimiterBackend::Memory ? "Memory" : "Redis";
                         });

}  // namespace
}  // namespace tachyon::platform
