#pragma once
// Per-key rate limits as token buckets: one for requests per minute, one for tokens per minute.
// A bucket holds up to its per-minute limit and refills continuously at limit/60 per second, so a
// key may burst its whole minute at once and then proceeds at the steady rate. Tokens are
// reserved at admission (prompt + max_tokens) and settled to the real count at completion.
// `RateLimiter` is the interface the API layer admits requests through; `MemoryRateLimiter`
// keeps the buckets of one process, `RedisRateLimiter` the buckets shared by every replica.
#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace tachyon::platform {

// Limits of one key; 0 means unlimited.
struct RateLimits {
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
};

// One bucket as the x-ratelimit-* headers show it.
struct LimitState {
  int64_t limit = 0;
  int64_t remaining = 0;  // whole units available now
  int64_t reset_ms = 0;   // until the bucket is full again
};

// Both buckets of a key; nullopt for an unlimited dimension.
struct RateSnapshot {
  std::optional<LimitState> requests;
  std::optional<LimitState> tokens;
};

// The answer to an admission request.
struct Admission {
  bool admitted = false;
  int64_t retry_after_ms = 0;  // when refused: until both buckets can take the request
  int64_t reserved_tokens = 0;  // when admitted: what settle() must be given back
  RateSnapshot snapshot;        // after the decision
};

// Every implementation is thread-safe; every method may be called from any thread. An Error
// (kind Unavailable) means the buckets could not be consulted at all (their backend is
// unreachable); whether the request then runs is the caller's policy.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Takes `n_requests` (0 or 1) requests and `n_tokens` tokens from the key's buckets, or
  // nothing when either is short. The API takes a request's place in the request bucket when it
  // arrives, before its body is read, and its tokens once it is tokenized: two calls, (1, 0)
  // then (0, n). A reservation larger than the whole token limit is capped at the limit, so a
  // large request is admitted when the bucket is full and its real use is charged at settle()
  // as a debt.
  virtual Result<Admission> admit(const std::string& key_id, const RateLimits& limits, int64_t n_requests,
                                  int64_t n_tokens) = 0;

  // Returns `reserved - used` tokens to the key's bucket (negative: charges the excess).
  virtual Status settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used) = 0;

  // The key's buckets now, without taking anything.
  virtual Result<RateSnapshot> peek(const std::string& key_id, const RateLimits& limits) = 0;

  // Ok when the backend answers now (the gauge on /metrics); always Ok in memory.
  virtual Status check_backend() = 0;
};

}  // namespace tachyon::platform
