// A response as it came over the wire: status, headers and body, parsed only when asked.
#pragma once

#include <optional>
#include <string>

#include "tachyon/client/headers.h"
#include "tachyon/client/options.h"
#include "tachyon/client/types.h"

namespace tachyon::client {

// Fields shared by every raw response; see RawResponse<T>.
class RawResponseBase {
 public:
  RawResponseBase() = default;  // an empty response (futures need one)
  RawResponseBase(int status, Headers headers, std::string body, Duration elapsed, int retries)
      : status_(status), headers_(std::move(headers)), body_(std::move(body)), elapsed_(elapsed),
        retries_(retries) {}
  int status_code() const { return status_; }
  const Headers& headers() const { return headers_; }
  std::optional<std::string> header(std::string_view name) const { return headers_.get(name); }
  const std::string& text() const { return body_; }
  // X-Request-ID ("" when the server sent none).
  std::string request_id() const { return headers_.get("x-request-id").value_or(""); }
  // Requests left now: X-RateLimit-Remaining, else x-ratelimit-remaining-requests.
  std::optional<long long> rate_limit_remaining() const;
  // Until the requests bucket is full again: X-RateLimit-Reset (seconds), else
  // x-ratelimit-reset-requests ("250ms", "12s", "1m0s").
  std::optional<Duration> rate_limit_reset() const;
  // From the call to the last byte, retries and their waits included.
  Duration elapsed() const { return elapsed_; }
  int retries_taken() const { return retries_; }

 private:
  int status_ = 0;
  Headers headers_;
  std::string body_;
  Duration elapsed_{0};
  int retries_ = 0;
};

template <class T>
class RawResponse : public RawResponseBase {
 public:
  using RawResponseBase::RawResponseBase;
  // The body as the typed response (throws nlohmann::json::exception if it is not that JSON).
  T parse() const { return T::from_json(Json::parse(text())); }
};

}  // namespace tachyon::client
