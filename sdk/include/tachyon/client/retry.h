// When and how long to wait before retrying, as the official SDKs decide it. Pure functions, so
// tests check them without a server.
#pragma once

#include <optional>

#include "tachyon/client/headers.h"
#include "tachyon/client/options.h"

namespace tachyon::client {

inline constexpr Duration kInitialRetryDelay = std::chrono::milliseconds(500);
inline constexpr Duration kMaxRetryDelay = std::chrono::seconds(8);
inline constexpr Duration kMaxRetryAfter = std::chrono::seconds(60);

// The wait before retry number `retries_done + 1`: 0.5 s doubling per retry, capped at 8 s, less up
// to 25% jitter (`random01` uniform in [0, 1)).
Duration backoff_delay(int retries_done, double random01);

// The server's own wait, from `retry-after-ms` or `retry-after` (seconds or an HTTP date), when it
// is positive and at most 60 s; otherwise none (the caller backs off instead).
std::optional<Duration> retry_after(const Headers& headers);

// Whether an answer with `status` is worth retrying: `x-should-retry: true|false` decides when the
// server sends it; otherwise 408, 409, 429 and 5xx are.
bool should_retry_status(int status, const Headers& headers);

}  // namespace tachyon::client
