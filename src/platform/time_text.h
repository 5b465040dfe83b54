#pragma once
// Dates and durations as operators type them on the command line and read them in reports.
// Pure functions, callable from any thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tachyon::platform {

// Milliseconds since the Unix epoch, from the system clock.
int64_t system_now_ms();

// "YYYY-MM-DD" (UTC midnight) or "YYYY-MM-DDTHH:MM:SSZ" to Unix milliseconds.
Result<int64_t> parse_date(std::string_view text);

// Unix milliseconds to "YYYY-MM-DD" (UTC).
std::string format_day(int64_t unix_ms);

// Unix milliseconds to "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string format_timestamp(int64_t unix_ms);

// "90s", "30m", "24h", "7d", "1h30m", "0" to milliseconds.
Result<int64_t> parse_duration(std::string_view text);

// A duration as OpenAI writes rate-limit resets: "250ms", "12s", "6m0s", "1h2m3s".
std::string format_reset_duration(int64_t ms);

}  // namespace tachyon::platform
