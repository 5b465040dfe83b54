#pragma once
// Per-key rate limits as token buckets: one for requests per minute, one for tokens per minute.
// A bucket holds up to its per-minute limit and refills continuously at limit/60 per second, so a
// key may burst its whole minute at once and then proceeds at the steady rate. Tokens are
// reserved at admission (prompt + max_tokens) and settled to the real count at completion.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

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

// Thread-safe; every method may be called from any thread.
class RateLimiter {
 public:
  // `now_ms` is the clock buckets refill by (milliseconds, any epoch); tests inject their own.
  explicit RateLimiter(std::function<int64_t()> now_ms);

  // Takes one request and `n_tokens` from the key's buckets, or nothing when either is short.
  // A reservation larger than the whole token limit is capped at the limit, so a large request
  // is admitted when the bucket is full and its real use is charged at settle() as a debt.
  Admission admit(const std::string& key_id, const RateLimits& limits, int64_t n_tokens);

  // Returns `reserved - used` tokens to the key's bucket (negative: charges the excess).
  void settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used);

  // The key's buckets now, without taking anything.
  RateSnapshot peek(const std::string& key_id, const RateLimits& limits);

 private:
  struct Bucket {
    double level = 0;
    int64_t capacity = 0;
    int64_t updated_ms = 0;
  };
  struct KeyBuckets {
    Bucket requests, tokens;
  };

  KeyBuckets& buckets_for(const std::string& key_id, const RateLimits& limits, int64_t now);
  static void refill(Bucket& b, int64_t capacity, int64_t now);
  static std::optional<LimitState> state_of(const Bucket& b);
  static int64_t ms_until(const Bucket& b, double amount);

  std::function<int64_t()> now_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, KeyBuckets> keys_;
};

}  // namespace tachyon::platform
