#include "tachyon/client/retry.h"

#include <cmath>
#include <ctime>

#include "tachyon/client/raw_response.h"

namespace tachyon::client {

namespace {

std::optional<double> parse_number(const std::string& text) {
  try {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    while (used < text.size() && text[used] == ' ') ++used;
    if (used != text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

// "Wed, 21 Oct 2015 07:28:00 GMT" as seconds from now.
std::optional<double> seconds_until_http_date(const std::string& text) {
  std::tm tm{};
  if (!::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  return std::difftime(::timegm(&tm), std::time(nullptr));
}

// OpenAI's reset format: "1m0s", "12s", "250ms", "1h2m3.5s".
std::optional<double> parse_go_duration(const std::string& text) {
  double total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t used = 0;
    double value;
    try {
      value = std::stod(text.substr(i), &used);
    } catch (...) {
      return std::nullopt;
    }
    i += used;
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    if (unit == "h") total += value * 3600;
    else if (unit == "m") total += value * 60;
    else if (unit == "s") total += value;
    else if (unit == "ms") total += value / 1e3;
    else if (unit == "us" || unit == "µs") total += value / 1e6;
    else if (unit == "ns") total += value / 1e9;
    else return std::nullopt;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

Duration from_seconds(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

}  // namespace

Duration backoff_delay(int retries_done, double random01) {
  double seconds = std::min(0.5 * std::pow(2.0, retries_done), 8.0);
  return from_seconds(seconds * (1.0 - 0.25 * random01));
}

std::optional<Duration> retry_after(const Headers& headers) {
  std::optional<double> seconds;
  if (auto ms = headers.get("retry-after-ms")) {
    if (auto v = parse_number(*ms)) seconds = *v / 1000.0;
  }
  if (!seconds) {
    if (auto value = headers.get("retry-after")) {
      seconds = parse_number(*value);
      if (!seconds) seconds = seconds_until_http_date(*value);
    }
  }
  if (!seconds || *seconds <= 0 || *seconds > 60) return std::nullopt;
  return from_seconds(*seconds);
}

bool should_retry_status(int status, const Headers& headers) {
  if (auto should = headers.get("x-should-retry")) {
    if (*should == "true") return true;
    if (*should == "false") return false;
  }
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

std::optional<long long> RawResponseBase::rate_limit_remaining() const {
  auto value = headers_.get("x-ratelimit-remaining");
  if (!value) value = headers_.get("x-ratelimit-remaining-requests");
  if (!value) return std::nullopt;
  auto number = parse_number(*value);
  if (!number) return std::nullopt;
  return static_cast<long long>(*number);
}

std::optional<Duration> RawResponseBase::rate_limit_reset() const {
  if (auto value = headers_.get("x-ratelimit-reset")) {
    if (auto seconds = parse_number(*value)) return from_seconds(*seconds);
  }
  if (auto value = headers_.get("x-ratelimit-reset-requests")) {
    if (auto seconds = parse_go_duration(*value)) return from_seconds(*seconds);
  }
  return std::nullopt;
}

}  // namespace tachyon::client
