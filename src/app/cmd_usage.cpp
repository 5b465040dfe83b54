// `tachyon usage`: totals of completed requests from the store's usage rows (the data
// directory's, or the PostgreSQL database of --database: every replica's); with --request, also
// that request's rows, whatever their status.
#include <fmt/format.h>

#include "app/commands.h"
#include "platform/key_admin.h"
#include "platform/open_store.h"
#include "platform/sqlite_store.h"
#include "platform/time_text.h"

namespace tachyon::app {
namespace {

struct UsageOptions {
  std::string data_dir = platform::kDefaultDataDir;
  std::string database_url;
  std::string key, request, since, until, by;
  bool json = false, csv = false;
};

// --until with a plain date includes that whole day.
int64_t date_or_fail(const std::string& flag, const std::string& text, bool end_of_day) {
  auto ms = platform::parse_date(text);
  if (!ms) fail(fmt::format("{}: {}", flag, ms.error().message));
  return *ms + (end_of_day && text.size() == 10 ? 86'400'000 : 0);
}

void print_usage(const UsageOptions& o) {
  platform::UsageQuery query;
  if (!o.key.empty()) query.key_id = o.key;
  if (!o.request.empty()) query.request_id = o.request;
  if (!o.since.empty()) query.since_ms = date_or_fail("--since", o.since, false);
  if (!o.until.empty()) query.until_ms = date_or_fail("--until", o.until, true);
  if (o.by == "day") query.by = platform::UsageGrouping::Day;
  else if (o.by == "model") query.by = platform::UsageGrouping::Model;
  else if (o.by == "key") query.by = platform::UsageGrouping::Key;
  else if (!o.by.empty()) fail("--by must be day, model or key");

  auto store = platform::open_store(o.data_dir, database_url_or_env(o.database_url));
  if (!store) fail(store.error().message);
  auto report = (*store)->query_usage(query);
  if (!report) fail(report.error().message);

  if (o.json) {
    fmt::print("{}\n", platform::usage_report_json(*report).dump());
    return;
  }
  auto usd = [](int64_t micros) { return fmt::format("{:.6f}", platform::micros_to_usd(micros)); };
  std::vector<platform::UsageRow> rows = report->rows;
  rows.push_back({"total", report->totals});
  if (o.csv) {
    fmt::print("group,requests,prompt_tokens,completion_tokens,input_tokens_cost,output_tokens_cost,request_cost,total_cost\n");
    for (const auto& r : rows)
      fmt::print("{},{},{},{},{},{},{},{}\n", r.group, r.totals.requests, r.totals.prompt_tokens,
                 r.totals.completion_tokens, usd(r.totals.cost.input), usd(r.totals.cost.output),
                 usd(r.totals.cost.request), usd(r.totals.cost.total()));
    return;
  }
  fmt::print("{:<22} {:>10} {:>14} {:>18} {:>14}\n", o.by.empty() ? "" : o.by, "REQUESTS", "PROMPT TOKENS",
             "COMPLETION TOKENS", "COST (USD)");
  for (const auto& r : rows)
    fmt::print("{:<22} {:>10} {:>14} {:>18} {:>14}\n", r.group, r.totals.requests, r.totals.prompt_tokens,
               r.totals.completion_tokens, usd(r.totals.cost.total()));
  if (report->rate_limited_without_rows > 0)
    fmt::print("\n{} more refusals over rate limits, counted without rows of their own\n",
               report->rate_limited_without_rows);
  if (!report->requests) return;
  fmt::print("\n{:<24} {:>6} {:<26} {:<16} {:<26} {:>8} {:>10} {:>14}\n", "CREATED (UTC)", "STATUS", "KEY", "MODEL",
             "ENDPOINT", "PROMPT", "COMPLETION", "COST (USD)");
  for (const auto& r : *report->requests)
    fmt::print("{:<24} {:>6} {:<26} {:<16} {:<26} {:>8} {:>10} {:>14}\n", platform::format_timestamp(r.created_ms),
               r.status, r.key_id.empty() ? "-" : r.key_id, r.model.empty() ? "-" : r.model, r.endpoint,
               r.prompt_tokens, r.completion_tokens, usd(r.cost.total()));
}

}  // namespace

void add_usage_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("usage", "Usage and cost of completed requests");
  auto o = std::make_shared<UsageOptions>();
  cmd->add_option("--data-dir", o->data_dir, "Folder holding tachyon's database")->capture_default_str();
  add_database_option(*cmd, o->database_url);
  cmd->add_option("--key", o->key, "Only this key's requests (key_...)");
  cmd->add_option("--request", o->request, "Only the request with this X-Request-ID, and list its rows (any status)");
  cmd->add_option("--since", o->since, "From this date, YYYY-MM-DD (UTC), inclusive");
  cmd->add_option("--until", o->until, "Through this date, YYYY-MM-DD (UTC), inclusive");
  cmd->add_option("--by", o->by, "One row per day, model or key")->check(CLI::IsMember({"day", "model", "key"}));
  auto* json = cmd->add_flag("--json", o->json,
                             "Print {\"totals\": {...}, \"rows\": [...]}, with --request also \"requests\": [...]");
  cmd->add_flag("--csv", o->csv, "Print CSV")->excludes(json);
  cmd->callback([o] { print_usage(*o); });
}

}  // namespace tachyon::app
