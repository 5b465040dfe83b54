#include "platform/key_ring.h"

#include <algorithm>

#include <fmt/format.h>

namespace tachyon::platform {

bool AuthenticatedKey::allows_model(std::string_view model) const {
  return models.empty() || std::find(models.begin(), models.end(), model) != models.end();
}

KeyRing::KeyRing(Store& store, std::function<int64_t()> now_ms, RateLimits defaults, int64_t refresh_ms)
    : store_(store), now_ms_(std::move(now_ms)), defaults_(defaults), refresh_ms_(refresh_ms) {}

Status KeyRing::reload() {
  auto keys = store_.list_keys();
  if (!keys) return keys.error();
  auto secrets = store_.list_secrets();
  if (!secrets) return secrets.error();
  std::lock_guard lock(mutex_);
  keys_ = std::move(*keys);
  secrets_ = std::move(*secrets);
  loaded_ms_ = now_ms_();
  loaded_ = true;
  return Status::success();
}

Status KeyRing::reload_if_stale() {
  {
    std::lock_guard lock(mutex_);
    if (loaded_ && now_ms_() - loaded_ms_ < refresh_ms_) return Status::success();
  }
  return reload();
}

Result<AuthenticatedKey> KeyRing::authenticate(std::string_view secret) {
  if (Status s = reload_if_stale(); !s) return s.error();
  const SecretHash presented = hash_secret(secret);
  const int64_t now = now_ms_();
  std::lock_guard lock(mutex_);
  const KeySecret* match = nullptr;
  for (const KeySecret& s : secrets_)
    if (hashes_equal(s.hash, presented)) match = &s;
  auto unauthenticated = [](std::string message) { return Error{std::move(message), ErrorKind::Unauthenticated}; };
  if (!match) return unauthenticated("Incorrect API key provided");
  auto key = std::find_if(keys_.begin(), keys_.end(), [&](const KeyRecord& k) { return k.id == match->key_id; });
  if (key == keys_.end()) return unauthenticated("Incorrect API key provided");
  auto out = usable(*key, now);
  if (out && match->expires_ms && *match->expires_ms <= now)
    return unauthenticated("This API key has been rotated; use its new secret");
  return out;
}

Result<AuthenticatedKey> KeyRing::find(const std::string& key_id) {
  if (Status s = reload_if_stale(); !s) return s.error();
  const int64_t now = now_ms_();
  std::lock_guard lock(mutex_);
  auto key = std::find_if(keys_.begin(), keys_.end(), [&](const KeyRecord& k) { return k.id == key_id; });
  if (key == keys_.end()) return Error{fmt::format("no API key '{}'", key_id), ErrorKind::Unauthenticated};
  return usable(*key, now);
}

Result<AuthenticatedKey> KeyRing::usable(const KeyRecord& key, int64_t now) const {
  if (key.revoked_ms && *key.revoked_ms <= now) return Error{"This API key has been revoked", ErrorKind::Unauthenticated};
  if (key.expires_ms && *key.expires_ms <= now) return Error{"This API key has expired", ErrorKind::Unauthenticated};
  AuthenticatedKey out;
  out.id = key.id;
  out.name = key.name;
  out.limits.requests_per_minute = key.requests_per_minute.value_or(defaults_.requests_per_minute);
  out.limits.tokens_per_minute = key.tokens_per_minute.value_or(defaults_.tokens_per_minute);
  out.models = key.models;
  out.no_retention = key.no_retention;
  return out;
}

Result<bool> KeyRing::has_keys() {
  if (Status s = reload_if_stale(); !s) return s.error();
  std::lock_guard lock(mutex_);
  return !keys_.empty();
}

}  // namespace tachyon::platform
