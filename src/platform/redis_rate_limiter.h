#pragma once
// Rate limits shared by every replica of the server: each key's two token buckets live in one
// Redis hash and change only inside one Lua script (loaded once, run by EVALSHA), so concurrent
// admissions from many processes are atomic and draw from one budget. Time is Redis's own clock
// (TIME), so replicas whose clocks disagree still agree on refills. A hash expires once its
// buckets would be full again, which is exactly a new key's state. Semantics as in
// rate_limiter.h, identical to MemoryRateLimiter's.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "platform/rate_limiter.h"
#include "platform/redis_client.h"

namespace tachyon::platform {

struct RedisRateLimiterOptions {
  // Prepended to a key id to name its hash; replicas sharing a budget must agree on it.
  std::string key_prefix = "tachyon:ratelimit:";
  // Milliseconds the buckets refill by; empty: Redis's clock. Tests move time by hand with it.
  std::function<int64_t()> now_ms;
};

// Thread-safe; every method may be called from any thread and blocks for one Redis round trip
// (at most the client's timeouts). Errors are Unavailable: Redis unreachable, too slow, or
// refusing the script (a read-only replica, out of memory).
class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(std::unique_ptr<RedisClient> client, RedisRateLimiterOptions options = {});

  // A key without any limit is answered here, without Redis: it cannot be refused, not even when
  // Redis is down.
  Result<Admission> admit(const std::string& key_id, const RateLimits& limits, int64_t n_requests,
                          int64_t n_tokens) override;
  Status settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used) override;
  Result<RateSnapshot> peek(const std::string& key_id, const RateLimits& limits) override;
  // PING.
  Status check_backend() override;

 private:
  // Runs the bucket script for one key: op is admit, settle or peek; `amount` the tokens to
  // reserve (admit) or to give back (settle); `n_requests` the requests admit takes (0 or 1).
  Result<Admission> run(const std::string& key_id, const char* op, const RateLimits& limits, int64_t amount,
                        int64_t n_requests = 0);
  Result<std::string> script_sha();

  std::unique_ptr<RedisClient> client_;
  RedisRateLimiterOptions options_;
  std::mutex sha_mutex_;
  std::string sha_;  // the script's SHA1 once SCRIPT LOAD has answered
};

}  // namespace tachyon::platform
