#include "platform/memory_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tachyon::platform {

MemoryRateLimiter::MemoryRateLimiter(std::function<int64_t()> now_ms) : now_ms_(std::move(now_ms)) {}

void MemoryRateLimiter::refill(Bucket& b, int64_t capacity, int64_t now) {
  if (b.capacity != capacity) {
    // A new or changed limit: a new bucket starts full, a changed one keeps what it had used.
    b.level = b.capacity == 0 ? double(capacity) : b.level + double(capacity - b.capacity);
    b.capacity = capacity;
  } else if (capacity > 0 && now > b.updated_ms) {
    b.level = std::min(double(capacity), b.level + double(now - b.updated_ms) * double(capacity) / 60'000.0);
  }
  b.level = std::min(b.level, double(capacity));
  b.updated_ms = now;
}

MemoryRateLimiter::KeyBuckets& MemoryRateLimiter::buckets_for(const std::string& key_id, const RateLimits& limits, int64_t now) {
  KeyBuckets& k = keys_[key_id];
  refill(k.requests, std::max<int64_t>(0, limits.requests_per_minute), now);
  refill(k.tokens, std::max<int64_t>(0, limits.tokens_per_minute), now);
  return k;
}

int64_t MemoryRateLimiter::ms_until(const Bucket& b, double amount) {
  if (b.capacity == 0 || b.level >= amount) return 0;
  return int64_t(std::ceil((amount - b.level) * 60'000.0 / double(b.capacity)));
}

std::optional<LimitState> MemoryRateLimiter::state_of(const Bucket& b) {
  if (b.capacity == 0) return std::nullopt;
  return LimitState{b.capacity, std::max<int64_t>(0, int64_t(std::floor(b.level))), ms_until(b, double(b.capacity))};
}

Result<Admission> MemoryRateLimiter::admit(const std::string& key_id, const RateLimits& limits, int64_t n_requests,
                                           int64_t n_tokens) {
  std::lock_guard lock(mutex_);
  KeyBuckets& k = buckets_for(key_id, limits, now_ms_());
  Admission a;
  a.reserved_tokens = k.tokens.capacity == 0 ? 0 : std::min(std::max<int64_t>(0, n_tokens), k.tokens.capacity);
  const int64_t requests = std::clamp<int64_t>(n_requests, 0, 1);
  a.retry_after_ms = std::max(ms_until(k.requests, double(requests)), ms_until(k.tokens, double(a.reserved_tokens)));
  a.admitted = a.retry_after_ms == 0;
  if (a.admitted) {
    if (k.requests.capacity > 0) k.requests.level -= double(requests);
    k.tokens.level -= double(a.reserved_tokens);
  } else {
    a.reserved_tokens = 0;
  }
  a.snapshot = {state_of(k.requests), state_of(k.tokens)};
  return a;
}

Status MemoryRateLimiter::settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used) {
  std::lock_guard lock(mutex_);
  KeyBuckets& k = buckets_for(key_id, limits, now_ms_());
  if (k.tokens.capacity > 0)
    k.tokens.level = std::min(double(k.tokens.capacity), k.tokens.level + double(reserved - used));
  return Status::success();
}

Result<RateSnapshot> MemoryRateLimiter::peek(const std::string& key_id, const RateLimits& limits) {
  std::lock_guard lock(mutex_);
  KeyBuckets& k = buckets_for(key_id, limits, now_ms_());
  return RateSnapshot{state_of(k.requests), state_of(k.tokens)};
}

}  // namespace tachyon::platform
