#pragma once
// The rate limiter of a single process: token buckets (see rate_limiter.h) in a map under one
// mutex. Its answers are never errors.
#include <functional>
#include <mutex>
#include <unordered_map>

#include "platform/rate_limiter.h"

namespace tachyon::platform {

// Thread-safe; every method may be called from any thread.
class MemoryRateLimiter final : public RateLimiter {
 public:
  // `now_ms` is the clock buckets refill by (milliseconds, any epoch); tests inject their own.
  explicit MemoryRateLimiter(std::function<int64_t()> now_ms);

  Result<Admission> admit(const std::string& key_id, const RateLimits& limits, int64_t n_requests,
                          int64_t n_tokens) override;
  Status settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used) override;
  Result<RateSnapshot> peek(const std::string& key_id, const RateLimits& limits) override;
  Status check_backend() override { return Status::success(); }

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
