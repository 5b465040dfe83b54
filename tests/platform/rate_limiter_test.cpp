#include "platform/rate_limiter.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::ManualClock;

TEST(RateLimiter, BurstsTheMinuteThenRefusesWithTheWaitUntilAdmission) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  const RateLimits five_rpm{5, 0};
  for (int i = 0; i < 5; ++i) {
    Admission a = limiter.admit("k", five_rpm, 10);
    ASSERT_TRUE(a.admitted) << i;
    ASSERT_TRUE(a.snapshot.requests);
    EXPECT_EQ(a.snapshot.requests->limit, 5);
    EXPECT_EQ(a.snapshot.requests->remaining, 4 - i);
    EXPECT_FALSE(a.snapshot.tokens);  // unlimited
  }
  Admission refused = limiter.admit("k", five_rpm, 10);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after_ms, 12'000);  // one request refills in 60/5 s
  clock.now += 11'999;
  EXPECT_FALSE(limiter.admit("k", five_rpm, 10).admitted);
  clock.now += 1;
  EXPECT_TRUE(limiter.admit("k", five_rpm, 10).admitted);
}

TEST(RateLimiter, RetryAfterIsEnoughForTheRetryToBeAdmitted) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  const RateLimits limits{7, 1000};
  int admitted = 0;
  for (int step = 0; step < 200; ++step) {
    Admission a = limiter.admit("k", limits, 97);
    if (a.admitted) {
      ++admitted;
      limiter.settle("k", limits, a.reserved_tokens, 50);
      continue;
    }
    ASSERT_GT(a.retry_after_ms, 0);
    clock.now += a.retry_after_ms;
    ASSERT_TRUE(limiter.admit("k", limits, 97).admitted) << "step " << step;
    ++admitted;
  }
  EXPECT_EQ(admitted, 200);
}

TEST(RateLimiter, TokensAreReservedThenSettledToTheRealCount) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  const RateLimits limits{0, 100};
  Admission a = limiter.admit("k", limits, 80);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.reserved_tokens, 80);
  EXPECT_EQ(a.snapshot.tokens->remaining, 20);
  EXPECT_FALSE(a.snapshot.requests);
  EXPECT_FALSE(limiter.admit("k", limits, 30).admitted);
  limiter.settle("k", limits, 80, 15);  // used 15 of the 80 reserved
  EXPECT_EQ(limiter.peek("k", limits).tokens->remaining, 85);
  EXPECT_TRUE(limiter.admit("k", limits, 30).admitted);
}

TEST(RateLimiter, AReservationBeyondTheLimitIsCappedAndChargedAsDebt) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  const RateLimits limits{0, 60};
  Admission a = limiter.admit("k", limits, 500);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.reserved_tokens, 60);
  limiter.settle("k", limits, a.reserved_tokens, 120);  // 60 tokens of debt
  Admission next = limiter.admit("k", limits, 1);
  EXPECT_FALSE(next.admitted);
  EXPECT_EQ(next.retry_after_ms, 61'000);  // 61 tokens at one per second
}

TEST(RateLimiter, KeysAreIndependentAndResetCountsToFull) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  const RateLimits limits{2, 0};
  ASSERT_TRUE(limiter.admit("a", limits, 0).admitted);
  ASSERT_TRUE(limiter.admit("a", limits, 0).admitted);
  EXPECT_FALSE(limiter.admit("a", limits, 0).admitted);
  EXPECT_TRUE(limiter.admit("b", limits, 0).admitted);
  EXPECT_EQ(limiter.peek("a", limits).requests->reset_ms, 60'000);
  clock.now += 30'000;
  EXPECT_EQ(limiter.peek("a", limits).requests->remaining, 1);
  EXPECT_EQ(limiter.peek("a", limits).requests->reset_ms, 30'000);
}

TEST(RateLimiter, UnlimitedKeysAreAlwaysAdmitted) {
  ManualClock clock;
  RateLimiter limiter(clock.fn());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.admit("k", {}, 1'000'000).admitted);
}

}  // namespace
}  // namespace tachyon::platform
