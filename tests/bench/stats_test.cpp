#include "bench/stats.h"

#include <vector>

#include <gtest/gtest.h>

namespace tachyon::bench {
namespace {

TEST(StatsTest, MeanAndSampleStddev) {
  const std::vector<double> x = {2, 4, 4, 4, 5, 5, 7, 9};
  const MeanStddev m = mean_stddev(x);
  EXPECT_DOUBLE_EQ(m.mean, 5.0);
  EXPECT_NEAR(m.stddev, 2.138089935, 1e-8);  // sqrt(32 / 7)
}

TEST(StatsTest, MeanStddevOfFewSamples) {
  EXPECT_DOUBLE_EQ(mean_stddev(std::vector<double>{}).mean, 0.0);
  const MeanStddev one = mean_stddev(std::vector<double>{3.5});
  EXPECT_DOUBLE_EQ(one.mean, 3.5);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
}

TEST(StatsTest, PercentileInterpolatesLinearly) {
  const std::vector<double> x = {5, 1, 4, 2, 3};  // unsorted on purpose
  EXPECT_DOUBLE_EQ(percentile(x, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile(x, 50), 3.0);
  EXPECT_DOUBLE_EQ(percentile(x, 100), 5.0);
  EXPECT_DOUBLE_EQ(percentile(x, 90), 4.6);
  EXPECT_DOUBLE_EQ(percentile(x, 25), 2.0);
  const std::vector<double> two = {10, 20};
  EXPECT_DOUBLE_EQ(percentile(two, 50), 15.0);
  EXPECT_DOUBLE_EQ(percentile(two, 99), 19.9);
}

TEST(StatsTest, PercentilesOfEdgeCases) {
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{}, 50), 0.0);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{7}, 99), 7.0);
  const Percentiles p = percentiles(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_DOUBLE_EQ(p.p50, 6.0);
  EXPECT_DOUBLE_EQ(p.p90, 10.0);
  EXPECT_DOUBLE_EQ(p.p99, 10.9);
}

}  // namespace
}  // namespace tachyon::bench
