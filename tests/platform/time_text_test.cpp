#include "platform/time_text.h"

#include <gtest/gtest.h>

namespace tachyon::platform {
namespace {

TEST(TimeText, ParsesDatesAsUtc) {
  EXPECT_EQ(*parse_date("1970-01-02"), 86'400'000);
  EXPECT_EQ(*parse_date("2026-12-04T17:26:28Z"), *parse_date("2026-12-04") + (17 * 3600 + 26 * 60 + 28) * 1000);
  EXPECT_EQ(format_day(*parse_date("2024-02-29")), "2024-02-29");
  EXPECT_EQ(format_timestamp(*parse_date("2026-12-04T17:26:28Z")), "2026-12-04T17:26:28Z");
}

TEST(TimeText, RejectsMalformedDates) {
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026/01/01", "26-01-01", "2026-01-01T25:00:00Z"})
    EXPECT_FALSE(parse_date(bad).ok()) << bad;
}

TEST(TimeText, Durations) {
  EXPECT_EQ(*parse_duration("24h"), 86'400'000);
  EXPECT_EQ(*parse_duration("1h30m"), 5'400'000);
  EXPECT_EQ(*parse_duration("90s"), 90'000);
  EXPECT_EQ(*parse_duration("7d"), 7 * 86'400'000LL);
  EXPECT_EQ(*parse_duration("250ms"), 250);
  EXPECT_EQ(*parse_duration("0"), 0);
  for (const char* bad : {"", "h", "10", "10x", "-1h"}) EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  // Sums stay far from overflow: beyond a century is an error.
  EXPECT_EQ(*parse_duration("36500d"), 36500 * 86'400'000LL);
  std::string huge;
  for (int i = 0; i < 50; ++i) huge += "2147483647d";
  EXPECT_FALSE(parse_duration(huge).ok());
}

TEST(TimeText, ResetDurationsAsOpenAiWritesThem) {
  EXPECT_EQ(format_reset_duration(0), "0s");
  EXPECT_EQ(format_reset_duration(20), "20ms");
  EXPECT_EQ(format_reset_duration(11'001), "12s");
  EXPECT_EQ(format_reset_duration(360'000), "6m0s");
  EXPECT_EQ(format_reset_duration(3'723'000), "1h2m3s");
}

}  // namespace
}  // namespace tachyon::platform
