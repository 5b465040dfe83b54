#include "platform/key_admin.h"

#include "platform/time_text.h"

namespace tachyon::platform {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json optional_timestamp(const std::optional<int64_t>& ms) {
  return ms ? ordered_json(format_timestamp(*ms)) : ordered_json(nullptr);
}

ordered_json optional_number(const std::optional<int64_t>& n) { return n ? ordered_json(*n) : ordered_json(nullptr); }

ordered_json totals_json(const UsageTotals& t) {
  return {
      {"requests", t.requests},
      {"prompt_tokens", t.prompt_tokens},
      {"completion_tokens", t.completion_tokens},
      {"cost",
       {{"input_tokens_cost", micros_to_usd(t.cost.input)},
        {"output_tokens_cost", micros_to_usd(t.cost.output)},
        {"request_cost", micros_to_usd(t.cost.request)},
        {"total_cost", micros_to_usd(t.cost.total())}}},
  };
}

}  // namespace

Result<IssuedKey> create_key(Store& store, const NewKeySpec& spec, int64_t now_ms) {
  if (spec.name.empty()) return invalid_param("name", "a key needs a name");
  if (spec.requests_per_minute && *spec.requests_per_minute <= 0) return invalid_param("rpm", "must be positive");
  if (spec.tokens_per_minute && *spec.tokens_per_minute <= 0) return invalid_param("tpm", "must be positive");
  auto id = generate_key_id();
  if (!id) return id.error();
  auto secret = generate_secret();
  if (!secret) return secret.error();
  IssuedKey issued;
  issued.key = KeyRecord{
      .id = *id,
      .name = spec.name,
      .hint = secret_hint(*secret),
      .created_ms = now_ms,
      .expires_ms = spec.expires_ms,
      .revoked_ms = std::nullopt,
      .requests_per_minute = spec.requests_per_minute,
      .tokens_per_minute = spec.tokens_per_minute,
      .models = spec.models,
      .no_retention = spec.no_retention,
  };
  issued.secret = *secret;
  if (Status s = store.insert_key(issued.key, hash_secret(issued.secret)); !s) return s.error();
  return issued;
}

Result<IssuedKey> rotate_key(Store& store, const std::string& id, int64_t grace_ms, int64_t now_ms) {
  if (grace_ms < 0) return invalid_param("grace", "must not be negative");
  auto secret = generate_secret();
  if (!secret) return secret.error();
  if (Status s = store.rotate_key(id, hash_secret(*secret), secret_hint(*secret), now_ms + grace_ms); !s)
    return s.error();
  auto key = store.get_key(id);
  if (!key) return key.error();
  return IssuedKey{std::move(*key), std::move(*secret)};
}

std::string key_status(const KeyRecord& key, int64_t now_ms) {
  if (key.revoked_ms && *key.revoked_ms <= now_ms) return "revoked";
  if (key.expires_ms && *key.expires_ms <= now_ms) return "expired";
  return "active";
}

ordered_json key_json(const KeyRecord& key, int64_t now_ms, const std::string& secret) {
  ordered_json j = {{"id", key.id}, {"name", key.name}};
  if (!secret.empty()) j["secret"] = secret;
  j["hint"] = key.hint;
  j["status"] = key_status(key, now_ms);
  j["created_at"] = format_timestamp(key.created_ms);
  j["expires_at"] = optional_timestamp(key.expires_ms);
  j["revoked_at"] = optional_timestamp(key.revoked_ms);
  j["rpm"] = optional_number(key.requests_per_minute);
  j["tpm"] = optional_number(key.tokens_per_minute);
  j["models"] = key.models;
  j["no_retention"] = key.no_retention;
  return j;
}

ordered_json usage_report_json(const UsageReport& report) {
  ordered_json rows = ordered_json::array();
  for (const UsageRow& r : report.rows) {
    ordered_json row = {{"group", r.group}};
    row.update(totals_json(r.totals));
    rows.push_back(std::move(row));
  }
  ordered_json j = {{"totals", totals_json(report.totals)}, {"rows", std::move(rows)}};
  if (report.requests) {
    j["requests"] = ordered_json::array();
    for (const UsageRecord& r : *report.requests) j["requests"].push_back(usage_record_json(r));
  } else {
    j["rate_limited_without_rows"] = report.rate_limited_without_rows;
  }
  return j;
}

ordered_json usage_record_json(const UsageRecord& r) {
  return {
      {"request_id", r.request_id},
      {"key_id", r.key_id},
      {"model", r.model},
      {"endpoint", r.endpoint},
      {"created_ms", r.created_ms},
      {"status", r.status},
      {"prompt_tokens", r.prompt_tokens},
      {"completion_tokens", r.completion_tokens},
      {"cached_tokens", r.cached_tokens},
      {"search_queries", r.search_queries},
      {"queue_ms", r.queue_ms},
      {"ttft_ms", r.ttft_ms},
      {"total_ms", r.total_ms},
      {"input_cost_micros", r.cost.input},
      {"output_cost_micros", r.cost.output},
      {"request_cost_micros", r.cost.request},
  };
}

Result<NewKeySpec> parse_new_key_json(const nlohmann::json& body) {
  if (!body.is_object()) return make_error("the request body must be a JSON object");
  NewKeySpec spec;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) return invalid_param("name", "'name' must be a string");
  spec.name = name->get<std::string>();
  for (const char* field : {"rpm", "tpm"}) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer()) return invalid_param(field, "'{}' must be an integer", field);
    (std::string_view(field) == "rpm" ? spec.requests_per_minute : spec.tokens_per_minute) = it->get<int64_t>();
  }
  if (auto it = body.find("models"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return invalid_param("models", "'models' must be an array of strings");
    for (const auto& m : *it) {
      if (!m.is_string()) return invalid_param("models", "'models' must be an array of strings");
      spec.models.push_back(m.get<std::string>());
    }
  }
  if (auto it = body.find("no_retention"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return invalid_param("no_retention", "'no_retention' must be a boolean");
    spec.no_retention = it->get<bool>();
  }
  if (auto it = body.find("expires"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return invalid_param("expires", "'expires' must be a date, YYYY-MM-DD");
    auto ms = parse_date(it->get<std::string>());
    if (!ms) return invalid_param("expires", "{}", ms.error().message);
    spec.expires_ms = *ms;
  }
  return spec;
}

}  // namespace tachyon::platform
