#pragma once
// What an operator does to keys, shared by `tachyon keys` and the /admin/keys endpoints:
// create, rotate and revoke, each one store transaction. The secret is returned once and never
// stored; only its hash is.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/store.h"

namespace tachyon::platform {

struct NewKeySpec {
  std::string name{};
  std::optional<int64_t> requests_per_minute{};
  std::optional<int64_t> tokens_per_minute{};
  std::vector<std::string> models{};
  bool no_retention = false;
  std::optional<int64_t> expires_ms{};
};

// A key with its secret, as shown once at creation or rotation.
struct IssuedKey {
  KeyRecord key;
  std::string secret;
};

Result<IssuedKey> create_key(Store& store, const NewKeySpec& spec, int64_t now_ms);

// A new secret for key `id`; the old one keeps working for `grace_ms` more.
Result<IssuedKey> rotate_key(Store& store, const std::string& id, int64_t grace_ms, int64_t now_ms);

// "revoked" when revoked_ms has passed, "expired" when expires_ms has, else "active".
std::string key_status(const KeyRecord& key, int64_t now_ms);

// A key as JSON (CLI --json, admin API): {id, name, hint, status, created_at, expires_at,
// revoked_at, rpm, tpm, models, no_retention}; with the secret when `secret` is non-empty.
nlohmann::ordered_json key_json(const KeyRecord& key, int64_t now_ms, const std::string& secret = {});

// {"totals": {requests, prompt_tokens, completion_tokens, cost}, "rows": [{group, ...}]}, with
// cost in USD; with the report's request rows (a request_id filter), also "requests": [row, ...]
// (usage_record_json).
nlohmann::ordered_json usage_report_json(const UsageReport& report);

// One usage row with its fields as stored: {request_id, key_id, model, endpoint, created_ms,
// status, prompt_tokens, completion_tokens, cached_tokens, search_queries, queue_ms, ttft_ms,
// total_ms, input_cost_micros, output_cost_micros, request_cost_micros}.
nlohmann::ordered_json usage_record_json(const UsageRecord& row);

// Validates a NewKeySpec read from JSON (admin API): name required; rpm, tpm, models,
// no_retention, expires (YYYY-MM-DD) optional.
Result<NewKeySpec> parse_new_key_json(const nlohmann::json& body);

}  // namespace tachyon::platform
