#include "platform/postgres_store.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "platform/postgres_connection.h"

namespace tachyon::platform {
namespace {

using pg::Connection;
using pg::Param;
using pg::param;
using pg::Rows;

// Migration N takes the schema from version N-1 to N. Never edit one that has shipped: add the
// next. Ids, keys and models sort as bytes (COLLATE "C"), whatever the database's locale, so
// listings and groups come in the same order as from SQLite.
constexpr const char* kPgMigrations[] = {
    // 1: the schema of SqliteStore's version 5: keys and their secret hashes, usage rows, request
    // logs, async jobs with leases, stored Responses.
    R"sql(
CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT,
  revoked_ms BIGINT,
  requests_per_minute BIGINT,
  tokens_per_minute BIGINT,
  models TEXT NOT NULL DEFAULT '',
  no_retention BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE key_secrets (
  hash TEXT PRIMARY KEY,
  key_id TEXT COLLATE "C" NOT NULL REFERENCES api_keys(id),
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT
);
CREATE INDEX key_secrets_by_key ON key_secrets(key_id);
CREATE TABLE usage (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id TEXT NOT NULL,
  key_id TEXT COLLATE "C" NOT NULL,
  model TEXT COLLATE "C" NOT NULL,
  endpoint TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL,
  search_queries BIGINT NOT NULL,
  queue_ms BIGINT NOT NULL,
  ttft_ms BIGINT NOT NULL,
  total_ms BIGINT NOT NULL,
  input_cost_micros BIGINT NOT NULL,
  output_cost_micros BIGINT NOT NULL,
  request_cost_micros BIGINT NOT NULL
);
CREATE INDEX usage_by_time ON usage(created_ms);
CREATE INDEX usage_by_key ON usage(key_id, created_ms);
CREATE INDEX usage_by_request ON usage(request_id);
CREATE TABLE request_logs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  request_json TEXT NOT NULL,
  response_text TEXT NOT NULL
);
CREATE INDEX request_logs_by_time ON request_logs(created_ms);
CREATE INDEX request_logs_by_request ON request_logs(request_id);
CREATE TABLE async_jobs (
  id TEXT COLLATE "C" PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  started_ms BIGINT,
  completed_ms BIGINT,
  failed_ms BIGINT,
  status SMALLINT NOT NULL,
  request_json TEXT NOT NULL,
  response_json TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  lease_holder TEXT NOT NULL DEFAULT '',
  lease_until_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX async_jobs_by_key ON async_jobs(key_id, created_ms);
CREATE INDEX async_jobs_by_status ON async_jobs(status, created_ms);
CREATE TABLE responses (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  messages_json TEXT NOT NULL,
  response_json TEXT NOT NULL
);
CREATE INDEX responses_by_time ON responses(created_ms);
)sql",
    // 2: SqliteStore's version 6: counts of refusals over the rate limits beyond the rows a key
    // gets each minute.
    R"sql(
CREATE TABLE refusal_counts (
  key_id TEXT COLLATE "C" NOT NULL,
  endpoint TEXT NOT NULL,
  minute_ms BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (key_id, endpoint, minute_ms)
);
CREATE INDEX refusal_counts_by_time ON refusal_counts(minute_ms);
)sql",
};
static_assert(std::size(kPgMigrations) == kPostgresSchemaVersion);

// Serialises migrations between processes for the length of a transaction; any constant that
// no other application on the database uses for an advisory lock.
constexpr int64_t kMigrationLock = 0x74616368796f6e;  // "tachyon"

constexpr const char* kKeyColumns =
    "SELECT id, name, hint, created_ms, expires_ms, revoked_ms, requests_per_minute, tokens_per_minute, models, "
    "no_retention FROM api_keys";

constexpr const char* kRecordColumns =
    "request_id, key_id, model, endpoint, created_ms, status, prompt_tokens, completion_tokens, cached_tokens, "
    "search_queries, queue_ms, ttft_ms, total_ms, input_cost_micros, output_cost_micros, request_cost_micros";

constexpr const char* kJobColumns =
    "id, key_id, model, created_ms, started_ms, completed_ms, failed_ms, status, lease_holder, lease_until_ms";

constexpr const char* kSums =
    "COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
    "COALESCE(SUM(input_cost_micros), 0), COALESCE(SUM(output_cost_micros), 0), COALESCE(SUM(request_cost_micros), 0)";

Param param(JobStatus status) { return param(int64_t(status)); }

KeyRecord key_at(const Rows& r, int i) {
  KeyRecord k;
  k.id = r.text(i, 0);
  k.name = r.text(i, 1);
  k.hint = r.text(i, 2);
  k.created_ms = r.integer(i, 3);
  k.expires_ms = r.optional_integer(i, 4);
  k.revoked_ms = r.optional_integer(i, 5);
  k.requests_per_minute = r.optional_integer(i, 6);
  k.tokens_per_minute = r.optional_integer(i, 7);
  k.models = split_model_list(r.text(i, 8));
  k.no_retention = r.boolean(i, 9);
  return k;
}

std::vector<UsageRecord> records_of(const Rows& r) {
  std::vector<UsageRecord> rows;
  for (int i = 0; i < r.size(); ++i) {
    UsageRecord u;
    u.request_id = r.text(i, 0);
    u.key_id = r.text(i, 1);
    u.model = r.text(i, 2);
    u.endpoint = r.text(i, 3);
    u.created_ms = r.integer(i, 4);
    u.status = int(r.integer(i, 5));
    u.prompt_tokens = r.integer(i, 6);
    u.completion_tokens = r.integer(i, 7);
    u.cached_tokens = r.integer(i, 8);
    u.search_queries = r.integer(i, 9);
    u.queue_ms = r.integer(i, 10);
    u.ttft_ms = r.integer(i, 11);
    u.total_ms = r.integer(i, 12);
    u.cost = {r.integer(i, 13), r.integer(i, 14), r.integer(i, 15)};
    rows.push_back(std::move(u));
  }
  return rows;
}

UsageTotals totals_at(const Rows& r, int i, int c) {
  return UsageTotals{r.integer(i, c), r.integer(i, c + 1), r.integer(i, c + 2),
                     CostMicros{r.integer(i, c + 3), r.integer(i, c + 4), r.integer(i, c + 5)}};
}

// A row selecting kJobColumns (then possibly more).
AsyncJob job_at(const Rows& r, int i) {
  AsyncJob job;
  job.id = r.text(i, 0);
  job.key_id = r.text(i, 1);
  job.model = r.text(i, 2);
  job.created_ms = r.integer(i, 3);
  job.started_ms = r.optional_integer(i, 4);
  job.completed_ms = r.optional_integer(i, 5);
  job.failed_ms = r.optional_integer(i, 6);
  job.status = JobStatus(r.integer(i, 7));
  job.lease_holder = r.text(i, 8);
  job.lease_until_ms = r.integer(i, 9);
  return job;
}

Error no_key(const std::string& id) {
  return Error{fmt::format("no API key with id '{}'", id), ErrorKind::NotFound, "id"};
}

Error not_held(const std::string& id, const std::string& holder) {
  return Error{fmt::format("async job '{}' is not in progress under '{}'", id, holder), ErrorKind::NotFound, "id"};
}

// Every method is one transaction on a pooled connection; statements are prepared once per
// connection and take their values as parameters.
class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, size_t max_connections) : pool_(url, max_connections) {}

  // Applies the missing migrations in order, in one transaction, under an advisory lock: a
  // replica that starts while another migrates waits, then finds the schema up to date.
  Status migrate() {
    return pool_.transaction([](Connection& c) -> Status {
      auto locked = c.query("SELECT pg_advisory_xact_lock($1)", {param(kMigrationLock)});
      if (!locked) return locked.error();
      if (Status s = c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                            "applied_ms BIGINT NOT NULL)");
          !s)
        return s;
      auto version = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
      if (!version) return version.error();
      const int64_t current = version->integer(0, 0);
      if (current > kPostgresSchemaVersion)
        return make_error(ErrorKind::Internal,
                          "the database has schema version {}, newer than this tachyon's {}; use a newer tachyon",
                          current, kPostgresSchemaVersion);
      for (int64_t v = current + 1; v <= kPostgresSchemaVersion; ++v) {
        if (Status s = c.exec(kPgMigrations[v - 1]); !s)
          return make_error(ErrorKind::Internal, "schema migration {} failed: {}", v, s.error().message);
        auto recorded = c.query(
            "INSERT INTO schema_version (version, applied_ms) "
            "VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)",
            {param(v)});
        if (!recorded) return recorded.error();
      }
      return Status::success();
    });
  }

  Status insert_key(const KeyRecord& key, const SecretHash& secret) override {
    return pool_.transaction([&](Connection& c) -> Status {
      auto k = c.query(
          "INSERT INTO api_keys (id, name, hint, created_ms, expires_ms, revoked_ms, requests_per_minute, "
          "tokens_per_minute, models, no_retention) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          {param(key.id), param(key.name), param(key.hint), param(key.created_ms), param(key.expires_ms),
           param(key.revoked_ms), param(key.requests_per_minute), param(key.tokens_per_minute),
           param(join_model_list(key.models)), param(key.no_retention)});
      if (!k) return k.error();
      auto s = c.query("INSERT INTO key_secrets (hash, key_id, created_ms) VALUES ($1, $2, $3)",
                       {param(to_hex(secret)), param(key.id), param(key.created_ms)});
      if (!s) return s.error();
      return Status::success();
    });
  }

  Result<std::vector<KeyRecord>> list_keys() override {
    return pool_.transaction([](Connection& c) -> Result<std::vector<KeyRecord>> {
      auto r = c.query(std::string(kKeyColumns) + " ORDER BY created_ms, id");
      if (!r) return r.error();
      std::vector<KeyRecord> keys;
      for (int i = 0; i < r->size(); ++i) keys.push_back(key_at(*r, i));
      return keys;
    });
  }

  Result<KeyRecord> get_key(const std::string& id) override {
    return pool_.transaction([&](Connection& c) -> Result<KeyRecord> {
      auto r = c.query(std::string(kKeyColumns) + " WHERE id = $1", {param(id)});
      if (!r) return r.error();
      if (r->size() == 0) return no_key(id);
      return key_at(*r, 0);
    });
  }

  Result<std::vector<KeySecret>> list_secrets() override {
    return pool_.transaction([](Connection& c) -> Result<std::vector<KeySecret>> {
      auto r = c.query("SELECT key_id, hash, expires_ms FROM key_secrets");
      if (!r) return r.error();
      std::vector<KeySecret> secrets;
      for (int i = 0; i < r->size(); ++i) {
        auto hash = from_hex(r->text(i, 1));
        if (!hash) return hash.error();
        secrets.push_back({r->text(i, 0), *hash, r->optional_integer(i, 2)});
      }
      return secrets;
    });
  }

  Status revoke_key(const std::string& id, int64_t now_ms) override {
    return pool_.transaction([&](Connection& c) -> Status {
      auto r = c.query("UPDATE api_keys SET revoked_ms = COALESCE(revoked_ms, $1) WHERE id = $2",
                       {param(now_ms), param(id)});
      if (!r) return r.error();
      if (r->changed() == 0) return no_key(id);
      return Status::success();
    });
  }

  Status rotate_key(const std::string& id, const SecretHash& secret, const std::string& hint,
                    int64_t old_expires_ms) override {
    return pool_.transaction([&](Connection& c) -> Status {
      auto h = c.query("UPDATE api_keys SET hint = $1 WHERE id = $2", {param(hint), param(id)});
      if (!h) return h.error();
      if (h->changed() == 0) return no_key(id);
      auto e = c.query(
          "UPDATE key_secrets SET expires_ms = LEAST(COALESCE(expires_ms, $1::BIGINT), $1::BIGINT) WHERE key_id = $2",
          {param(old_expires_ms), param(id)});
      if (!e) return e.error();
      auto s = c.query("INSERT INTO key_secrets (hash, key_id, created_ms) VALUES ($1, $2, $3)",
                       {param(to_hex(secret)), param(id), param(old_expires_ms)});
      if (!s) return s.error();
      return Status::success();
    });
  }

  // Durable when COMMIT returns: PostgreSQL flushes the commit to its WAL first (its default,
  // synchronous_commit = on; a database set otherwise gives that guarantee up).
  Status insert_usage(std::span<const UsageRecord> rows) override {
    return pool_.transaction([&](Connection& c) -> Status {
      for (const UsageRecord& r : rows) {
        if (r.log) {
          auto log = c.query(
              "INSERT INTO request_logs (request_id, key_id, model, endpoint, created_ms, status, request_json, "
              "response_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
              {param(r.log->request_id), param(r.log->key_id), param(r.log->model), param(r.log->endpoint),
               param(r.log->created_ms), param(int64_t(r.log->status)), param(r.log->request_json),
               param(r.log->response_text)});
          if (!log) return log.error();
        }
        auto u = c.query(
            "INSERT INTO usage (request_id, key_id, model, endpoint, created_ms, status, prompt_tokens, "
            "completion_tokens, cached_tokens, search_queries, queue_ms, ttft_ms, total_ms, input_cost_micros, "
            "output_cost_micros, request_cost_micros) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            {param(r.request_id), param(r.key_id), param(r.model), param(r.endpoint), param(r.created_ms),
             param(int64_t(r.status)), param(r.prompt_tokens), param(r.completion_tokens), param(r.cached_tokens),
             param(r.search_queries), param(r.queue_ms), param(r.ttft_ms), param(r.total_ms), param(r.cost.input),
             param(r.cost.output), param(r.cost.request)});
        if (!u) return u.error();
      }
      return Status::success();
    });
  }

  Status add_refusal_counts(std::span<const RefusalCount> counts) override {
    return pool_.transaction([&](Connection& c) -> Status {
      for (const RefusalCount& r : counts) {
        auto q = c.query(
            "INSERT INTO refusal_counts (key_id, endpoint, minute_ms, count) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (key_id, endpoint, minute_ms) DO UPDATE SET count = refusal_counts.count + EXCLUDED.count",
            {param(r.key_id), param(r.endpoint), param(r.minute_ms), param(r.count)});
        if (!q) return q.error();
      }
      return Status::success();
    });
  }

  Result<UsageReport> query_usage(const UsageQuery& query) override {
    // The statement text depends on which filters are present, never on their values.
    std::string filters, counted_filters;
    std::vector<Param> params;
    // `counted_condition`: the same filter on refusal_counts, which a request_id query never reads.
    auto filter = [&](const char* condition, const char* counted_condition, Param value) {
      params.push_back(std::move(value));
      filters += fmt::format(" AND {} ${}", condition, params.size());
      if (counted_condition) counted_filters += fmt::format(" AND {} ${}", counted_condition, params.size());
    };
    if (query.key_id) filter("key_id =", "key_id =", param(*query.key_id));
    if (query.request_id) filter("request_id =", nullptr, param(*query.request_id));
    if (query.since_ms) filter("created_ms >=", "minute_ms >=", param(*query.since_ms));
    if (query.until_ms) filter("created_ms <", "minute_ms <", param(*query.until_ms));
    const char* group = nullptr;
    switch (query.by) {
      case UsageGrouping::None: break;
      case UsageGrouping::Day: group = "to_char(to_timestamp(created_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"; break;
      case UsageGrouping::Model: group = "model"; break;
      case UsageGrouping::Key: group = "key_id"; break;
    }
    return pool_.transaction([&](Connection& c) -> Result<UsageReport> {
      UsageReport report;
      auto totals = c.query(fmt::format("SELECT {} FROM usage WHERE status = 200{}", kSums, filters), params);
      if (!totals) return totals.error();
      report.totals = totals_at(*totals, 0, 0);
      if (query.request_id) {
        auto rows = c.query(fmt::format("SELECT {} FROM usage WHERE TRUE{} ORDER BY id", kRecordColumns, filters), params);
        if (!rows) return rows.error();
        report.requests = records_of(*rows);
      } else {
        auto counted = c.query("SELECT COALESCE(SUM(count), 0) FROM refusal_counts WHERE TRUE" + counted_filters, params);
        if (!counted) return counted.error();
        report.rate_limited_without_rows = counted->integer(0, 0);
      }
      if (!group) return report;
      auto groups = c.query(
          fmt::format("SELECT {} AS grp, {} FROM usage WHERE status = 200{} GROUP BY grp ORDER BY grp", group, kSums,
                      filters),
          params);
      if (!groups) return groups.error();
      for (int i = 0; i < groups->size(); ++i) report.rows.push_back({groups->text(i, 0), totals_at(*groups, i, 1)});
      return report;
    });
  }

  Result<std::vector<UsageRecord>> usage_of_request(const std::string& request_id) override {
    return pool_.transaction([&](Connection& c) -> Result<std::vector<UsageRecord>> {
      auto r = c.query(fmt::format("SELECT {} FROM usage WHERE request_id = $1 ORDER BY id", kRecordColumns),
                       {param(request_id)});
      if (!r) return r.error();
      return records_of(*r);
    });
  }

  Result<std::vector<RequestLog>> request_logs(const std::string& request_id) override {
    return pool_.transaction([&](Connection& c) -> Result<std::vector<RequestLog>> {
      auto r = c.query(
          "SELECT request_id, key_id, model, endpoint, created_ms, status, request_json, response_text "
          "FROM request_logs WHERE request_id = $1 ORDER BY id DESC LIMIT $2",
          {param(request_id), param(int64_t(kMaxLogsPerRequestId))});
      if (!r) return r.error();
      std::vector<RequestLog> logs;
      for (int i = 0; i < int(r->size()); ++i)
        logs.push_back(RequestLog{r->text(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->integer(i, 4),
                                  int(r->integer(i, 5)), r->text(i, 6), r->text(i, 7)});
      return logs;
    });
  }

  Result<int64_t> purge_request_logs(int64_t before_ms) override {
    return pool_.transaction([&](Connection& c) -> Result<int64_t> {
      int64_t n_purged = 0;
      for (const char* sql :
           {"DELETE FROM request_logs WHERE created_ms < $1", "DELETE FROM responses WHERE created_ms < $1"}) {
        auto r = c.query(sql, {param(before_ms)});
        if (!r) return r.error();
        n_purged += r->changed();
      }
      return n_purged;
    });
  }

  Status insert_response(const StoredResponse& response) override {
    return pool_.transaction([&](Connection& c) -> Status {
      auto r = c.query(
          "INSERT INTO responses (id, key_id, model, created_ms, messages_json, response_json) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {param(response.id), param(response.key_id), param(response.model), param(response.created_ms),
           param(response.messages_json), param(response.response_json)});
      if (!r) return r.error();
      return Status::success();
    });
  }

  Result<StoredResponse> get_response(const std::string& id, const std::string& key_id) override {
    return pool_.transaction([&](Connection& c) -> Result<StoredResponse> {
      auto r = c.query(
          "SELECT id, key_id, model, created_ms, messages_json, response_json FROM responses "
          "WHERE id = $1 AND key_id = $2",
          {param(id), param(key_id)});
      if (!r) return r.error();
      if (r->size() == 0) return Error{fmt::format("no stored response '{}'", id), ErrorKind::NotFound, "id"};
      return StoredResponse{r->text(0, 0), r->text(0, 1), r->text(0, 2), r->integer(0, 3), r->text(0, 4),
                            r->text(0, 5)};
    });
  }

  Status insert_job(const AsyncJob& job) override {
    return pool_.transaction([&](Connection& c) -> Status {
      auto r = c.query(
          "INSERT INTO async_jobs (id, key_id, model, created_ms, status, request_json) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {param(job.id), param(job.key_id), param(job.model), param(job.created_ms), param(job.status),
           param(job.request_json)});
      if (!r) return r.error();
      return Status::success();
    });
  }

  Result<AsyncJob> get_job(const std::string& id, const std::string& key_id) override {
    return pool_.transaction([&](Connection& c) -> Result<AsyncJob> {
      auto r = c.query(fmt::format("SELECT {}, request_json, response_json, error_message FROM async_jobs "
                                   "WHERE id = $1 AND key_id = $2",
                                   kJobColumns),
                       {param(id), param(key_id)});
      if (!r) return r.error();
      if (r->size() == 0) return Error{fmt::format("no async job '{}'", id), ErrorKind::NotFound, "id"};
      AsyncJob job = job_at(*r, 0);
      job.request_json = r->text(0, 10);
      job.response_json = r->text(0, 11);
      job.error_message = r->text(0, 12);
      return job;
    });
  }

  Result<std::vector<AsyncJob>> list_jobs(const std::string& key_id, int64_t offset, int64_t limit) override {
    return pool_.transaction([&](Connection& c) -> Result<std::vector<AsyncJob>> {
      auto r = c.query(fmt::format("SELECT {} FROM async_jobs WHERE key_id = $1 "
                                   "ORDER BY created_ms DESC, id DESC LIMIT $2 OFFSET $3",
                                   kJobColumns),
                       {param(key_id), param(limit), param(offset)});
      if (!r) return r.error();
      std::vector<AsyncJob> jobs;
      for (int i = 0; i < r->size(); ++i) jobs.push_back(job_at(*r, i));
      return jobs;
    });
  }

  Result<int64_t> count_unfinished_jobs(const std::string& key_id) override {
    return pool_.transaction([&](Connection& c) -> Result<int64_t> {
      auto r = c.query("SELECT COUNT(*) FROM async_jobs WHERE key_id = $1 AND status IN ($2, $3)",
                       {param(key_id), param(JobStatus::Created), param(JobStatus::InProgress)});
      if (!r) return r.error();
      return r->integer(0, 0);
    });
  }

  // SKIP LOCKED: a job another replica is claiming in this instant is passed over, not waited
  // for, so concurrent claims each get a different job.
  Result<std::optional<AsyncJob>> claim_next_job(const std::string& holder, int64_t now_ms,
                                                 int64_t lease_ms) override {
    return pool_.transaction([&](Connection& c) -> Result<std::optional<AsyncJob>> {
      auto r = c.query(fmt::format("UPDATE async_jobs SET status = $1, started_ms = $3, lease_holder = $4, "
                                   "lease_until_ms = $5 "
                                   "WHERE id = (SELECT id FROM async_jobs "
                                   "WHERE status = $2 OR (status = $1 AND lease_until_ms <= $3) "
                                   "ORDER BY created_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                                   "RETURNING {}, request_json",
                                   kJobColumns),
                       {param(JobStatus::InProgress), param(JobStatus::Created), param(now_ms), param(holder),
                        param(now_ms + lease_ms)});
      if (!r) return r.error();
      if (r->size() == 0) return std::optional<AsyncJob>{};
      AsyncJob job = job_at(*r, 0);
      job.request_json = r->text(0, 10);
      return std::optional<AsyncJob>(std::move(job));
    });
  }

  Status renew_job_lease(const std::string& id, const std::string& holder, int64_t until_ms) override {
    return update_held(id, holder,
                       "UPDATE async_jobs SET lease_until_ms = $4 WHERE id = $1 AND status = $2 AND lease_holder = $3",
                       param(until_ms));
  }

  Status complete_job(const std::string& id, const std::string& holder, int64_t now_ms,
                      const std::string& response_json) override {
    return update_held(id, holder,
                       "UPDATE async_jobs SET status = $4, completed_ms = $5, response_json = $6 "
                       "WHERE id = $1 AND status = $2 AND lease_holder = $3",
                       param(JobStatus::Completed), param(now_ms), param(response_json));
  }

  Status fail_job(const std::string& id, const std::string& holder, int64_t now_ms,
                  const std::string& error_message) override {
    return update_held(id, holder,
                       "UPDATE async_jobs SET status = $4, failed_ms = $5, error_message = $6 "
                       "WHERE id = $1 AND status = $2 AND lease_holder = $3",
                       param(JobStatus::Failed), param(now_ms), param(error_message));
  }

  Status release_job(const std::string& id, const std::string& holder) override {
    return update_held(id, holder,
                       "UPDATE async_jobs SET status = $4, started_ms = NULL, lease_until_ms = 0 "
                       "WHERE id = $1 AND status = $2 AND lease_holder = $3",
                       param(JobStatus::Created));
  }

  Result<int64_t> requeue_interrupted_jobs() override {
    return pool_.transaction([](Connection& c) -> Result<int64_t> {
      auto r = c.query("UPDATE async_jobs SET status = $1, started_ms = NULL, lease_until_ms = 0 WHERE status = $2",
                       {param(JobStatus::Created), param(JobStatus::InProgress)});
      if (!r) return r.error();
      return r->changed();
    });
  }

 private:
  // Runs an UPDATE of the IN_PROGRESS job `id` held by `holder`: $1 id, $2 IN_PROGRESS, $3
  // holder, then `values` from $4. NotFound when no such job is held.
  template <typename... Values>
  Status update_held(const std::string& id, const std::string& holder, const char* sql, Values... values) {
    return pool_.transaction([&](Connection& c) -> Status {
      auto r = c.query(sql, {param(id), param(JobStatus::InProgress), param(holder), std::move(values)...});
      if (!r) return r.error();
      if (r->changed() == 0) return not_held(id, holder);
      return Status::success();
    });
  }

  pg::Pool pool_;
};

}  // namespace

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string redact_database_url(std::string_view url) { return pg::redact_url(url); }

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, size_t max_connections) {
  if (!is_postgres_url(url))
    return make_error(ErrorKind::InvalidArgument, "'{}' is not a postgresql:// URL", redact_database_url(url));
  auto store = std::make_unique<PostgresStore>(url, std::max<size_t>(max_connections, 1));
  if (Status s = store->migrate(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tachyon::platform
