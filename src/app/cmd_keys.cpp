// `tachyon keys create|list|revoke|rotate`: API keys in the store (the data directory's, or the
// PostgreSQL database of --database). The secret is printed once, at creation or rotation; only
// its hash is stored.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "platform/key_admin.h"
#include "platform/open_store.h"
#include "platform/sqlite_store.h"
#include "platform/time_text.h"

namespace tachyon::app {
namespace {

struct KeysOptions {
  std::string data_dir = platform::kDefaultDataDir;
  std::string database_url;
  bool json = false;
  std::string name, models, expires, grace = "24h", id;
  int64_t rpm = 0, tpm = 0;
  bool no_retention = false;
};

std::unique_ptr<platform::Store> open_store_or_fail(const KeysOptions& o) {
  auto store = platform::open_store(o.data_dir, database_url_or_env(o.database_url));
  if (!store) fail(store.error().message);
  return std::move(*store);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(std::move(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string limit_text(const std::optional<int64_t>& n) { return n ? std::to_string(*n) : "default"; }

void print_issued(const platform::IssuedKey& issued, bool json, std::string_view verb) {
  const int64_t now = platform::system_now_ms();
  if (json) {
    fmt::print("{}\n", platform::key_json(issued.key, now, issued.secret).dump());
    return;
  }
  fmt::print("{} key {} ({})\n", verb, issued.key.id, issued.key.name);
  fmt::print("secret (shown only now; tachyon keeps only its hash):\n{}\n", issued.secret);
}

void create(const KeysOptions& o) {
  platform::NewKeySpec spec;
  spec.name = o.name;
  if (o.rpm > 0) spec.requests_per_minute = o.rpm;
  if (o.tpm > 0) spec.tokens_per_minute = o.tpm;
  spec.models = split_list(o.models);
  spec.no_retention = o.no_retention;
  if (!o.expires.empty()) {
    auto ms = platform::parse_date(o.expires);
    if (!ms) fail(fmt::format("--expires: {}", ms.error().message));
    spec.expires_ms = *ms;
  }
  auto store = open_store_or_fail(o);
  auto issued = platform::create_key(*store, spec, platform::system_now_ms());
  if (!issued) fail(issued.error().message);
  print_issued(*issued, o.json, "created");
}

void list(const KeysOptions& o) {
  auto store = open_store_or_fail(o);
  auto keys = store->list_keys();
  if (!keys) fail(keys.error().message);
  const int64_t now = platform::system_now_ms();
  if (o.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& k : *keys) out.push_back(platform::key_json(k, now));
    fmt::print("{}\n", out.dump());
    return;
  }
  fmt::print("{:<21} {:<16} {:<8} {:<6} {:>8} {:>9} {:<20} {}\n", "ID", "NAME", "STATUS", "HINT", "RPM", "TPM",
             "CREATED", "MODELS");
  for (const auto& k : *keys)
    fmt::print("{:<21} {:<16} {:<8} ...{:<3} {:>8} {:>9} {:<20} {}\n", k.id, k.name, platform::key_status(k, now),
               k.hint, limit_text(k.requests_per_minute), limit_text(k.tokens_per_minute),
               platform::format_timestamp(k.created_ms), k.models.empty() ? "all" : fmt::format("{}", fmt::join(k.models, ",")));
}

void revoke(const KeysOptions& o) {
  auto store = open_store_or_fail(o);
  if (Status s = store->revoke_key(o.id, platform::system_now_ms()); !s) fail(s.error().message);
  if (o.json) fmt::print("{}\n", nlohmann::ordered_json{{"id", o.id}, {"status", "revoked"}}.dump());
  else fmt::print("revoked key {}\n", o.id);
}

void rotate(const KeysOptions& o) {
  auto grace = platform::parse_duration(o.grace);
  if (!grace) fail(fmt::format("--grace: {}", grace.error().message));
  auto store = open_store_or_fail(o);
  const int64_t now = platform::system_now_ms();
  auto issued = platform::rotate_key(*store, o.id, *grace, now);
  if (!issued) fail(issued.error().message);
  print_issued(*issued, o.json, "rotated");
  if (!o.json) fmt::print("the previous secret works until {}\n", platform::format_timestamp(now + *grace));
}

}  // namespace

void add_keys_command(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "Create, list, revoke and rotate API keys");
  keys->require_subcommand(1);
  auto o = std::make_shared<KeysOptions>();
  auto common = [o](CLI::App* cmd) {
    cmd->add_option("--data-dir", o->data_dir, "Folder holding tachyon's database")->capture_default_str();
    add_database_option(*cmd, o->database_url);
    cmd->add_flag("--json", o->json, "Print JSON instead of text");
  };

  auto* create_cmd = keys->add_subcommand("create", "Create a key and print its secret once");
  common(create_cmd);
  create_cmd->add_option("--name", o->name, "A label for the key")->required();
  create_cmd->add_option("--rpm", o->rpm, "Requests per minute (default: the server's)");
  create_cmd->add_option("--tpm", o->tpm, "Tokens per minute, prompt + completion (default: the server's)");
  create_cmd->add_option("--models", o->models, "Comma-separated models the key may use (default: all)");
  create_cmd->add_flag("--no-retention", o->no_retention, "Never store this key's prompts or completions");
  create_cmd->add_option("--expires", o->expires, "Date the key stops working, YYYY-MM-DD (UTC)");
  create_cmd->callback([o] { create(*o); });

  auto* list_cmd = keys->add_subcommand("list", "List keys (never their secrets)");
  common(list_cmd);
  list_cmd->callback([o] { list(*o); });

  auto* revoke_cmd = keys->add_subcommand("revoke", "Revoke a key at once");
  common(revoke_cmd);
  revoke_cmd->add_option("ID", o->id, "The key's id (key_...)")->required();
  revoke_cmd->callback([o] { revoke(*o); });

  auto* rotate_cmd = keys->add_subcommand("rotate", "Give a key a new secret; the old one works for a grace period");
  common(rotate_cmd);
  rotate_cmd->add_option("ID", o->id, "The key's id (key_...)")->required();
  rotate_cmd->add_option("--grace", o->grace, "How long the old secret keeps working (e.g. 24h, 30m, 0)")
      ->capture_default_str();
  rotate_cmd->callback([o] { rotate(*o); });
}

}  // namespace tachyon::app
