#pragma once
// Authentication: turns a presented bearer secret into the key it belongs to. Keeps the keys
// and their secret hashes in memory and re-reads them from the store when they are older than
// the refresh interval, so keys created, revoked or rotated by `tachyon keys` or the admin API
// take effect in a running server within that interval.
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "platform/rate_limiter.h"
#include "platform/store.h"

namespace tachyon::platform {

// A key that authenticated, with the limits that apply to it (its own or the defaults).
struct AuthenticatedKey {
  std::string id;
  std::string name;
  RateLimits limits;
  std::vector<std::string> models;  // empty: all
  bool no_retention = false;

  bool allows_model(std::string_view model) const;
};

// Thread-safe. Lookups may read the store (when the cache is stale), so callers should expect
// a short blocking database read about once per refresh interval.
class KeyRing {
 public:
  KeyRing(Store& store, std::function<int64_t()> now_ms, RateLimits defaults, int64_t refresh_ms = 1000);

  // The key `secret` belongs to. Errors are Unauthenticated: unknown secret, revoked key,
  // expired key, or an old secret past its rotation grace period. Every stored hash is compared
  // in constant time, with no early exit, so timing says nothing about which hash was close.
  Result<AuthenticatedKey> authenticate(std::string_view secret);

  // The key with this id, under the same rules as authenticate() (revoked or expired keys are
  // Unauthenticated): for work done later on a key's behalf, such as async jobs.
  Result<AuthenticatedKey> find(const std::string& key_id);

  // Whether the store holds any key, even a revoked or expired one: a server whose store has
  // none runs open unless told to require keys. Revoking the last key never reopens a server.
  Result<bool> has_keys();

  // Re-reads keys and secrets from the store now.
  Status reload();

 private:
  Status reload_if_stale();
  Result<AuthenticatedKey> usable(const KeyRecord& key, int64_t now) const;

  Store& store_;
  std::function<int64_t()> now_ms_;
  RateLimits defaults_;
  int64_t refresh_ms_;
  std::mutex mutex_;
  int64_t loaded_ms_ = 0;
  bool loaded_ = false;
  std::vector<KeyRecord> keys_;
  std::vector<KeySecret> secrets_;
};

}  // namespace tachyon::platform
