#pragma once
// Dates as pages and requests write them, normalized to "YYYY-MM-DD" (UTC), the form the index
// stores and compares. Pure functions, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tachyon::search {

// Days since 1970-01-01 for a valid proleptic Gregorian date; nullopt for an invalid one.
std::optional<int64_t> days_from_civil(int64_t year, int month, int day);

// "YYYY-MM-DD" for days since 1970-01-01.
std::string civil_from_days(int64_t days);

// A page's date in the forms found in the wild: ISO 8601 ("2024-10-17", "2024-10-17T08:00:00Z",
// "2024-10"), "2024/10/17", RFC 1123 ("Thu, 17 Oct 2024 08:00:00 GMT", as Last-Modified
// headers write it) and "October 17, 2024" / "17 October 2024". The time of day is dropped.
std::optional<std::string> normalize_date(std::string_view text);

// A request's filter date, "%m/%d/%Y" as Perplexity takes it ("3/1/2025" or "03/01/2025").
std::optional<std::string> parse_us_date(std::string_view text);

// Today, "YYYY-MM-DD" (UTC), from the system clock.
std::string today();

}  // namespace tachyon::search
