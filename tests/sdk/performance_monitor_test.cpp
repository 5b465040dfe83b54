#include "tachyon/client/performance_monitor.h"

#include <gtest/gtest.h>

namespace tachyon::client {
namespace {

using namespace std::chrono_literals;

TEST(PerformanceMonitor, CountsAndPercentilesWithinOnePercent) {
  PerformanceMonitor monitor;
  for (int ms = 1; ms <= 100; ++ms) {
    monitor.record_success(std::chrono::milliseconds(ms), std::chrono::milliseconds(ms) / 10);
  }
  monitor.record_error("RateLimitError");
  monitor.record_error("RateLimitError");
  monitor.record_retry();
  auto s = monitor.stats();
  EXPECT_EQ(s.requests, 102u);
  EXPECT_EQ(s.successes, 100u);
  EXPECT_EQ(s.errors, 2u);
  EXPECT_EQ(s.retries, 1u);
  EXPECT_EQ(s.errors_by_type["RateLimitError"], 2u);
  EXPECT_EQ(s.latency.min, Duration(1ms));
  EXPECT_EQ(s.latency.max, Duration(100ms));
  double mean_ms = std::chrono::duration<double, std::milli>(s.latency.mean).count();
  EXPECT_NEAR(mean_ms, 50.5, 1e-6);
  auto near = [](Duration d, double ms) { return std::abs(std::chrono::duration<double, std::milli>(d).count() - ms) <= ms * 0.011; };
  EXPECT_TRUE(near(s.latency.p50, 50));
  EXPECT_TRUE(near(s.latency.p90, 90));
  EXPECT_TRUE(near(s.latency.p99, 99));
  EXPECT_TRUE(near(s.ttft.p50, 5));
  EXPECT_NE(monitor.summary().find("requests 102"), std::string::npos);
  monitor.reset();
  EXPECT_EQ(monitor.stats().requests, 0u);
}

}  // namespace
}  // namespace tachyon::client
