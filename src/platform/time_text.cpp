#include "platform/time_text.h"

#include <chrono>
#include <charconv>

#include <fmt/format.h>

namespace tachyon::platform {
namespace {

using namespace std::chrono;

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int64_t system_now_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<int64_t> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0, hh = 0, mm = 0, ss = 0;
  const bool has_time = text.size() == 20 && text[10] == 'T' && text[13] == ':' && text[16] == ':' && text[19] == 'Z';
  const bool date_ok = (text.size() == 10 || has_time) && text[4] == '-' && text[7] == '-' &&
                       parse_int(text.substr(0, 4), y) && parse_int(text.substr(5, 2), m) &&
                       parse_int(text.substr(8, 2), d);
  if (!date_ok || (has_time && !(parse_int(text.substr(11, 2), hh) && parse_int(text.substr(14, 2), mm) &&
                                 parse_int(text.substr(17, 2), ss))))
    return make_error("'{}' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", text);
  const year_month_day ymd{year{y}, month{unsigned(m)}, day{unsigned(d)}};
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 59) return make_error("'{}' is not a valid date", text);
  const auto t = sys_days{ymd} + hours{hh} + minutes{mm} + seconds{ss};
  return int64_t(duration_cast<milliseconds>(t.time_since_epoch()).count());
}

std::string format_day(int64_t unix_ms) {
  const year_month_day ymd{floor<days>(sys_time<milliseconds>{milliseconds{unix_ms}})};
  return fmt::format("{:04}-{:02}-{:02}", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
}

std::string format_timestamp(int64_t unix_ms) {
  const sys_time<milliseconds> t{milliseconds{unix_ms}};
  const auto day_start = floor<days>(t);
  const hh_mm_ss hms{floor<seconds>(t - day_start)};
  return fmt::format("{}T{:02}:{:02}:{:02}Z", format_day(unix_ms), hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count());
}

Result<int64_t> parse_duration(std::string_view text) {
  if (text == "0") return int64_t{0};
  int64_t total = 0;
  size_t i = 0;
  if (text.empty()) return make_error("empty duration");
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    int n = 0;
    if (j == i || j == text.size() || !parse_int(text.substr(i, j - i), n))
      return make_error("'{}' is not a duration (e.g. 90s, 30m, 24h, 7d)", text);
    int64_t unit = 0;
    size_t k = j + 1;
    if (text.substr(j, 2) == "ms") {
      unit = 1;
      k = j + 2;
    } else {
      switch (text[j]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60'000; break;
        case 'h': unit = 3'600'000; break;
        case 'd': unit = 86'400'000; break;
        default: return make_error("'{}' is not a duration (e.g. 90s, 30m, 24h, 7d)", text);
      }
    }
    // A century is more than any grace period or retention needs, and keeps the sum far from
    // int64's end (n * unit alone is below 2^31 * 86,400,000 < 2^58).
    constexpr int64_t kMaxDurationMs = int64_t{100} * 366 * 86'400'000;
    total += n * unit;
    if (total > kMaxDurationMs) return make_error("'{}' is longer than 100 years", text);
    i = k;
  }
  return total;
}

std::string format_reset_duration(int64_t ms) {
  if (ms <= 0) return "0s";
  if (ms < 1000) return fmt::format("{}ms", ms);
  const int64_t s = (ms + 999) / 1000;  // round up: at the reset the limit has surely recovered
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}h{}m{}s", s / 3600, s / 60 % 60, s % 60);
}

}  // namespace tachyon::platform
