#include "search/date_text.h"

#include <array>
#include <cctype>
#include <chrono>
#include <vector>

#include <fmt/format.h>

namespace tachyon::search {
namespace {

bool is_leap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[size_t(month - 1)];
}

// Splits text into runs of digits and runs of letters; everything else separates.
std::vector<std::string> date_fields(std::string_view text) {
  std::vector<std::string> fields;
  std::string current;
  int kind = 0;  // 1 digits, 2 letters
  auto flush = [&] {
    if (!current.empty()) fields.push_back(current);
    current.clear();
  };
  for (char c : text) {
    const int k = std::isdigit(static_cast<unsigned char>(c)) ? 1 : std::isalpha(static_cast<unsigned char>(c)) ? 2 : 0;
    if (k != kind) flush();
    kind = k;
    if (k != 0) current.push_back(char(std::tolower(static_cast<unsigned char>(c))));
  }
  flush();
  return fields;
}

int month_from_name(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                              "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() < 3) return 0;
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name.substr(0, 3) == kNames[i]) return int(i) + 1;
  return 0;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<std::string> format_if_valid(int64_t year, int month, int day) {
  if (!days_from_civil(year, month, day)) return std::nullopt;
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
}

}  // namespace

std::optional<int64_t> days_from_civil(int64_t year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
    return std::nullopt;
  // Days before this year, counted from year 1, then shifted to the Unix epoch.
  const int64_t y = year - 1;
  int64_t days = y * 365 + y / 4 - y / 100 + y / 400;
  for (int m = 1; m < month; ++m) days += days_in_month(year, m);
  days += day - 1;
  constexpr int64_t kEpoch = 719162;  // days from 0001-01-01 to 1970-01-01
  return days - kEpoch;
}

std::string civil_from_days(int64_t days) {
  // 146,097 days make 400 Gregorian years; floor division keeps dates before year 1 in range.
  int64_t remaining = days + 719162;
  const int64_t cycles = remaining >= 0 ? remaining / 146097 : -((-remaining + 146096) / 146097);
  remaining -= cycles * 146097;
  int64_t year = 1 + 400 * cycles;
  while (true) {
    const int64_t n = is_leap(year) ? 366 : 365;
    if (remaining < n) break;
    remaining -= n;
    ++year;
  }
  int month = 1;
  while (remaining >= days_in_month(year, month)) remaining -= days_in_month(year, month++);
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, int(remaining) + 1);
}

std::optional<std::string> normalize_date(std::string_view text) {
  const std::vector<std::string> f = date_fields(text);
  if (f.empty()) return std::nullopt;
  auto num = [](const std::string& s) { return std::stoll(s.substr(0, 9)); };
  // ISO forms: YYYY-MM-DD..., YYYY/MM/DD, YYYY-MM.
  if (all_digits(f[0]) && f[0].size() == 4) {
    if (f.size() >= 3 && all_digits(f[1]) && all_digits(f[2]) && f[2].size() <= 2)
      return format_if_valid(num(f[0]), int(num(f[1])), int(num(f[2])));
    if (f.size() >= 2 && all_digits(f[1]) && f[1].size() <= 2) return format_if_valid(num(f[0]), int(num(f[1])), 1);
    if (f.size() == 1) return format_if_valid(num(f[0]), 1, 1);
    // "20241017"
  }
  if (f.size() == 1 && f[0].size() == 8 && all_digits(f[0]))
    return format_if_valid(num(f[0].substr(0, 4)), int(num(f[0].substr(4, 2))), int(num(f[0].substr(6, 2))));
  // Named months, with an optional weekday first: "Thu, 17 Oct 2024", "October 17, 2024".
  size_t i = 0;
  if (!all_digits(f[0]) && month_from_name(f[0]) == 0) i = 1;
  if (i + 2 < f.size()) {
    const std::string& a = f[i];
    const std::string& b = f[i + 1];
    const std::string& c = f[i + 2];
    if (all_digits(a) && month_from_name(b) && all_digits(c) && c.size() == 4)
      return format_if_valid(num(c), month_from_name(b), int(num(a)));
    if (month_from_name(a) && all_digits(b) && all_digits(c) && c.size() == 4)
      return format_if_valid(num(c), month_from_name(a), int(num(b)));
  }
  return std::nullopt;
}

std::optional<std::string> parse_us_date(std::string_view text) {
  const size_t a = text.find('/');
  const size_t b = a == std::string_view::npos ? a : text.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  const std::string_view m = text.substr(0, a), d = text.substr(a + 1, b - a - 1), y = text.substr(b + 1);
  if (m.size() > 2 || d.size() > 2 || y.size() != 4 || !all_digits(m) || !all_digits(d) || !all_digits(y))
    return std::nullopt;
  return format_if_valid(std::stoll(std::string(y)), std::stoi(std::string(m)), std::stoi(std::string(d)));
}

std::string today() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return civil_from_days(std::chrono::duration_cast<std::chrono::hours>(now).count() / 24);
}

}  // namespace tachyon::search
