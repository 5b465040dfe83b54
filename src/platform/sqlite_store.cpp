#include "platform/sqlite_store.h"

#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

namespace tachyon::platform {
namespace {

// Migration N takes the schema from version N-1 to N. Never edit one that has shipped: add the
// next.
constexpr const char* kMigrations[] = {
    // 1: keys, their secret hashes, usage rows.
    R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hint TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  revoked_ms INTEGER,
  requests_per_minute INTEGER,
  tokens_per_minute INTEGER,
  models TEXT NOT NULL DEFAULT '',
  no_retention INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE key_secrets (
  hash TEXT PRIMARY KEY,
  key_id TEXT NOT NULL REFERENCES api_keys(id),
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER
);
CREATE TABLE usage (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  search_queries INTEGER NOT NULL,
  queue_ms INTEGER NOT NULL,
  ttft_ms INTEGER NOT NULL,
  total_ms INTEGER NOT NULL,
  input_cost_micros INTEGER NOT NULL,
  output_cost_micros INTEGER NOT NULL,
  request_cost_micros INTEGER NOT NULL
);
CREATE INDEX usage_by_time ON usage(created_ms);
CREATE INDEX usage_by_key ON usage(key_id, created_ms);
CREATE INDEX usage_by_request ON usage(request_id);
)sql",
    // 2: request logs, purged after the retention period.
    R"sql(
CREATE TABLE request_logs (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  request_json TEXT NOT NULL,
  response_text TEXT NOT NULL
);
CREATE INDEX request_logs_by_time ON request_logs(created_ms);
CREATE INDEX request_logs_by_request ON request_logs(request_id);
)sql",
    // 3: asynchronous chat completions.
    R"sql(
CREATE TABLE async_jobs (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER,
  completed_ms INTEGER,
  failed_ms INTEGER,
  status INTEGER NOT NULL,
  request_json TEXT NOT NULL,
  response_json TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX async_jobs_by_key ON async_jobs(key_id, created_ms);
CREATE INDEX async_jobs_by_status ON async_jobs(status, created_ms);
)sql",
    // 4: stored Responses (POST /v1/responses, previous_response_id).
    R"sql(
CREATE TABLE responses (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  model TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  messages_json TEXT NOT NULL,
  response_json TEXT NOT NULL
);
CREATE INDEX responses_by_time ON responses(created_ms);
)sql",
    // 5: leases on claimed async jobs. Jobs in progress before it have an expired lease.
    R"sql(
ALTER TABLE async_jobs ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE async_jobs ADD COLUMN lease_until_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // 6: counts of refusals over the rate limits beyond the rows a key gets each minute.
    R"sql(
CREATE TABLE refusal_counts (
  key_id TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  minute_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key_id, endpoint, minute_ms)
);
CREATE INDEX refusal_counts_by_time ON refusal_counts(minute_ms);
)sql",
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

// A prepared statement, finalized on scope exit. Binding indices start at 1, columns at 0.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::string_view v) { sqlite3_bind_text(stmt_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, const std::optional<int64_t>& v) {
    if (v) bind(i, *v);
    else sqlite3_bind_null(stmt_, i);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ = sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t int_at(int c) const { return sqlite3_column_int64(stmt_, c); }
  std::optional<int64_t> optional_int_at(int c) const {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL) return std::nullopt;
    return int_at(c);
  }
  std::string text_at(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, size_t(sqlite3_column_bytes(stmt_, c))) : std::string();
  }
  Error error() const { return make_error(ErrorKind::Internal, "database: {}", sqlite3_errmsg(db_)); }
  // Index of a named parameter (":key"), for binding.
  int parameter(const char* name) const { return sqlite3_bind_parameter_index(stmt_, name); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      Error e = make_error(ErrorKind::Internal, "database: {}", message ? message : sqlite3_errmsg(db_));
      sqlite3_free(message);
      return e;
    }
    return Status::success();
  }

  // Runs `body` in a write transaction (the caller holds mutex_): committed when it returns ok,
  // rolled back otherwise.
  template <typename Body>
  Status write_transaction(Body body) {
    if (Status s = exec("BEGIN IMMEDIATE"); !s) return s;
    if (Status s = body(); !s) {
      (void)exec("ROLLBACK");
      return s;
    }
    return exec("COMMIT");
  }

  // Applies the missing migrations in order, all in one transaction. The version is read inside
  // it, under the write lock, so that two processes opening a new database at once migrate it
  // once: the second finds the first's version.
  Status migrate() {
    std::lock_guard lock(mutex_);
    return write_transaction([&] { return migrate_locked(); });
  }

  Status migrate_locked() {
    int64_t current = 0;
    {
      Statement version(db_, "PRAGMA user_version");
      if (version.step() != SQLITE_ROW) return version.error();
      current = version.int_at(0);
    }
    if (current > kSqliteSchemaVersion)
      return make_error(ErrorKind::Internal,
                        "the database has schema version {}, newer than this tachyon's {}; use a newer tachyon",
                        current, kSqliteSchemaVersion);
    for (int64_t v = current + 1; v <= kSqliteSchemaVersion; ++v) {
      Status s = exec(kMigrations[v - 1]);
      if (!s) return make_error(ErrorKind::Internal, "schema migration {} failed: {}", v, s.error().message);
    }
    if (current == kSqliteSchemaVersion) return Status::success();
    return exec(fmt::format("PRAGMA user_version = {}", kSqliteSchemaVersion).c_str());
  }

  Status insert_key(const KeyRecord& key, const SecretHash& secret) override {
    std::lock_guard lock(mutex_);
    return write_transaction([&] { return insert_key_locked(key, secret); });
  }

  Result<std::vector<KeyRecord>> list_keys() override {
    std::lock_guard lock(mutex_);
    Statement q(db_, std::string(kKeyColumns) + " ORDER BY created_ms, id");
    std::vector<KeyRecord> keys;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) keys.push_back(key_at(q));
    if (rc != SQLITE_DONE) return q.error();
    return keys;
  }

  Result<KeyRecord> get_key(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, std::string(kKeyColumns) + " WHERE id = ?");
    q.bind(1, id);
    const int rc = q.step();
    if (rc == SQLITE_ROW) return key_at(q);
    if (rc == SQLITE_DONE) return Error{fmt::format("no API key with id '{}'", id), ErrorKind::NotFound, "id"};
    return q.error();
  }

  Result<std::vector<KeySecret>> list_secrets() override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT key_id, hash, expires_ms FROM key_secrets");
    std::vector<KeySecret> secrets;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto hash = from_hex(q.text_at(1));
      if (!hash) return hash.error();
      secrets.push_back({q.text_at(0), *hash, q.optional_int_at(2)});
    }
    if (rc != SQLITE_DONE) return q.error();
    return secrets;
  }

  Status revoke_key(const std::string& id, int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "UPDATE api_keys SET revoked_ms = COALESCE(revoked_ms, ?) WHERE id = ?");
    q.bind(1, now_ms);
    q.bind(2, id);
    if (q.step() != SQLITE_DONE) return q.error();
    if (sqlite3_changes(db_) == 0) return Error{fmt::format("no API key with id '{}'", id), ErrorKind::NotFound, "id"};
    return Status::success();
  }

  Status rotate_key(const std::string& id, const SecretHash& secret, const std::string& hint,
                    int64_t old_expires_ms) override {
    std::lock_guard lock(mutex_);
    return write_transaction([&] { return rotate_locked(id, secret, hint, old_expires_ms); });
  }

  Status insert_usage(std::span<const UsageRecord> rows) override {
    std::lock_guard lock(mutex_);
    if (Status s = exec("BEGIN IMMEDIATE"); !s) return s;
    Statement q(db_,
                "INSERT INTO usage (request_id, key_id, model, endpoint, created_ms, status, prompt_tokens, "
                "completion_tokens, cached_tokens, search_queries, queue_ms, ttft_ms, total_ms, input_cost_micros, "
                "output_cost_micros, request_cost_micros) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Statement log(db_,
                  "INSERT INTO request_logs (request_id, key_id, model, endpoint, created_ms, status, request_json, "
                  "response_text) VALUES (?,?,?,?,?,?,?,?)");
    for (const UsageRecord& r : rows) {
      if (r.log) {
        log.bind(1, r.log->request_id);
        log.bind(2, r.log->key_id);
        log.bind(3, r.log->model);
        log.bind(4, r.log->endpoint);
        log.bind(5, r.log->created_ms);
        log.bind(6, int64_t(r.log->status));
        log.bind(7, r.log->request_json);
        log.bind(8, r.log->response_text);
        if (log.step() != SQLITE_DONE) {
          Error e = log.error();
          (void)exec("ROLLBACK");
          return e;
        }
        log.reset();
      }
      q.bind(1, r.request_id);
      q.bind(2, r.key_id);
      q.bind(3, r.model);
      q.bind(4, r.endpoint);
      q.bind(5, r.created_ms);
      q.bind(6, int64_t(r.status));
      q.bind(7, r.prompt_tokens);
      q.bind(8, r.completion_tokens);
      q.bind(9, r.cached_tokens);
      q.bind(10, r.search_queries);
      q.bind(11, r.queue_ms);
      q.bind(12, r.ttft_ms);
      q.bind(13, r.total_ms);
      q.bind(14, r.cost.input);
      q.bind(15, r.cost.output);
      q.bind(16, r.cost.request);
      if (q.step() != SQLITE_DONE) {
        Error e = q.error();
        (void)exec("ROLLBACK");
        return e;
      }
      q.reset();
    }
    return exec("COMMIT");
  }

  Status add_refusal_counts(std::span<const RefusalCount> counts) override {
    std::lock_guard lock(mutex_);
    return write_transaction([&]() -> Status {
      Statement q(db_,
                  "INSERT INTO refusal_counts (key_id, endpoint, minute_ms, count) VALUES (?,?,?,?) "
                  "ON CONFLICT (key_id, endpoint, minute_ms) DO UPDATE SET count = count + excluded.count");
      for (const RefusalCount& r : counts) {
        q.bind(1, r.key_id);
        q.bind(2, r.endpoint);
        q.bind(3, r.minute_ms);
        q.bind(4, r.count);
        if (q.step() != SQLITE_DONE) return q.error();
        q.reset();
      }
      return Status::success();
    });
  }

  Result<UsageReport> query_usage(const UsageQuery& query) override {
    std::lock_guard lock(mutex_);
    auto filters_on = [&](std::string_view time_column) {
      std::string f;
      if (query.key_id) f += " AND key_id = :key";
      if (query.request_id) f += " AND request_id = :request";
      if (query.since_ms) f += fmt::format(" AND {} >= :since", time_column);
      if (query.until_ms) f += fmt::format(" AND {} < :until", time_column);
      return f;
    };
    const std::string filters = filters_on("created_ms");
    const std::string where = "WHERE status = 200" + filters;
    constexpr const char* kSums =
        "COUNT(*), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0), "
        "COALESCE(SUM(input_cost_micros),0), COALESCE(SUM(output_cost_micros),0), COALESCE(SUM(request_cost_micros),0)";
    auto bind_filters = [&](Statement& q) {
      if (query.key_id) q.bind(q.parameter(":key"), *query.key_id);
      if (query.request_id) q.bind(q.parameter(":request"), *query.request_id);
      if (query.since_ms) q.bind(q.parameter(":since"), *query.since_ms);
      if (query.until_ms) q.bind(q.parameter(":until"), *query.until_ms);
    };
    auto totals_at = [](const Statement& q, int c) {
      return UsageTotals{q.int_at(c), q.int_at(c + 1), q.int_at(c + 2),
                         CostMicros{q.int_at(c + 3), q.int_at(c + 4), q.int_at(c + 5)}};
    };
    UsageReport report;
    {
      Statement q(db_, fmt::format("SELECT {} FROM usage {}", kSums, where));
      bind_filters(q);
      if (q.step() != SQLITE_ROW) return q.error();
      report.totals = totals_at(q, 0);
    }
    if (query.request_id) {
      Statement q(db_, fmt::format("SELECT {} FROM usage WHERE 1 = 1{} ORDER BY id", kRecordColumns, filters));
      bind_filters(q);
      auto rows = read_records(q);
      if (!rows) return rows.error();
      report.requests = std::move(*rows);
    } else {
      Statement q(db_, "SELECT COALESCE(SUM(count),0) FROM refusal_counts WHERE 1 = 1" + filters_on("minute_ms"));
      bind_filters(q);
      if (q.step() != SQLITE_ROW) return q.error();
      report.rate_limited_without_rows = q.int_at(0);
    }
    const char* group = nullptr;
    switch (query.by) {
      case UsageGrouping::None: return report;
      case UsageGrouping::Day: group = "strftime('%Y-%m-%d', created_ms / 1000, 'unixepoch')"; break;
      case UsageGrouping::Model: group = "model"; break;
      case UsageGrouping::Key: group = "key_id"; break;
    }
    Statement q(db_, fmt::format("SELECT {0}, {1} FROM usage {2} GROUP BY 1 ORDER BY 1", group, kSums, where));
    bind_filters(q);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) report.rows.push_back({q.text_at(0), totals_at(q, 1)});
    if (rc != SQLITE_DONE) return q.error();
    return report;
  }

  Result<std::vector<UsageRecord>> usage_of_request(const std::string& request_id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, fmt::format("SELECT {} FROM usage WHERE request_id = ? ORDER BY id", kRecordColumns));
    q.bind(1, request_id);
    return read_records(q);
  }

  Result<std::vector<RequestLog>> request_logs(const std::string& request_id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "SELECT request_id, key_id, model, endpoint, created_ms, status, request_json, response_text "
                "FROM request_logs WHERE request_id = ? ORDER BY id DESC LIMIT ?");
    q.bind(1, request_id);
    q.bind(2, int64_t(kMaxLogsPerRequestId));
    std::vector<RequestLog> logs;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
      logs.push_back(RequestLog{q.text_at(0), q.text_at(1), q.text_at(2), q.text_at(3), q.int_at(4),
                                int(q.int_at(5)), q.text_at(6), q.text_at(7)});
    if (rc != SQLITE_DONE) return q.error();
    return logs;
  }

  Result<int64_t> purge_request_logs(int64_t before_ms) override {
    std::lock_guard lock(mutex_);
    int64_t n_purged = 0;
    for (const char* sql : {"DELETE FROM request_logs WHERE created_ms < ?", "DELETE FROM responses WHERE created_ms < ?"}) {
      Statement q(db_, sql);
      q.bind(1, before_ms);
      if (q.step() != SQLITE_DONE) return q.error();
      n_purged += sqlite3_changes(db_);
    }
    // The WAL still holds the pages as they were before the delete; copy the zeroed pages back
    // and empty it, so the text is gone from every file. A busy reader may defer this to a later
    // purge.
    if (n_purged > 0) (void)exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return n_purged;
  }

  Status insert_response(const StoredResponse& r) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO responses (id, key_id, model, created_ms, messages_json, response_json) VALUES (?,?,?,?,?,?)");
    q.bind(1, r.id);
    q.bind(2, r.key_id);
    q.bind(3, r.model);
    q.bind(4, r.created_ms);
    q.bind(5, r.messages_json);
    q.bind(6, r.response_json);
    if (q.step() != SQLITE_DONE) return q.error();
    return Status::success();
  }

  Result<StoredResponse> get_response(const std::string& id, const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "SELECT id, key_id, model, created_ms, messages_json, response_json FROM responses "
                "WHERE id = ? AND key_id = ?");
    q.bind(1, id);
    q.bind(2, key_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return Error{fmt::format("no stored response '{}'", id), ErrorKind::NotFound, "id"};
    if (rc != SQLITE_ROW) return q.error();
    return StoredResponse{q.text_at(0), q.text_at(1), q.text_at(2), q.int_at(3), q.text_at(4), q.text_at(5)};
  }

  Status insert_job(const AsyncJob& job) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "INSERT INTO async_jobs (id, key_id, model, created_ms, status, request_json) VALUES (?,?,?,?,?,?)");
    q.bind(1, job.id);
    q.bind(2, job.key_id);
    q.bind(3, job.model);
    q.bind(4, job.created_ms);
    q.bind(5, int64_t(job.status));
    q.bind(6, job.request_json);
    if (q.step() != SQLITE_DONE) return q.error();
    return Status::success();
  }

  Result<AsyncJob> get_job(const std::string& id, const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, std::string(kJobColumns) + ", request_json, response_json, error_message FROM async_jobs "
                                               "WHERE id = ? AND key_id = ?");
    q.bind(1, id);
    q.bind(2, key_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return Error{fmt::format("no async job '{}'", id), ErrorKind::NotFound, "id"};
    if (rc != SQLITE_ROW) return q.error();
    AsyncJob job = job_at(q);
    job.request_json = q.text_at(10);
    job.response_json = q.text_at(11);
    job.error_message = q.text_at(12);
    return job;
  }

  Result<std::vector<AsyncJob>> list_jobs(const std::string& key_id, int64_t offset, int64_t limit) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, std::string(kJobColumns) +
                         " FROM async_jobs WHERE key_id = ? ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?");
    q.bind(1, key_id);
    q.bind(2, limit);
    q.bind(3, offset);
    std::vector<AsyncJob> jobs;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) jobs.push_back(job_at(q));
    if (rc != SQLITE_DONE) return q.error();
    return jobs;
  }

  Result<int64_t> count_unfinished_jobs(const std::string& key_id) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT COUNT(*) FROM async_jobs WHERE key_id = ? AND status IN (?, ?)");
    q.bind(1, key_id);
    q.bind(2, int64_t(JobStatus::Created));
    q.bind(3, int64_t(JobStatus::InProgress));
    if (q.step() != SQLITE_ROW) return q.error();
    return q.int_at(0);
  }

  Result<std::optional<AsyncJob>> claim_next_job(const std::string& holder, int64_t now_ms,
                                                 int64_t lease_ms) override {
    std::lock_guard lock(mutex_);
    // IMMEDIATE: the write lock is taken before the read, so two stores on one file never pick
    // the same job.
    if (Status s = exec("BEGIN IMMEDIATE"); !s) return s.error();
    auto claimed = claim_locked(holder, now_ms, lease_ms);
    if (!claimed) {
      (void)exec("ROLLBACK");
      return claimed.error();
    }
    if (Status s = exec("COMMIT"); !s) return s.error();
    return claimed;
  }

  Status renew_job_lease(const std::string& id, const std::string& holder, int64_t until_ms) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "UPDATE async_jobs SET lease_until_ms = ? WHERE id = ? AND status = ? AND lease_holder = ?");
    q.bind(1, until_ms);
    q.bind(2, id);
    q.bind(3, int64_t(JobStatus::InProgress));
    q.bind(4, holder);
    if (q.step() != SQLITE_DONE) return q.error();
    if (sqlite3_changes(db_) == 0) return not_held(id, holder);
    return Status::success();
  }

  Status complete_job(const std::string& id, const std::string& holder, int64_t now_ms,
                      const std::string& response_json) override {
    return end_job(id, holder, "completed_ms", now_ms, JobStatus::Completed, "response_json", response_json);
  }

  Status fail_job(const std::string& id, const std::string& holder, int64_t now_ms,
                  const std::string& error_message) override {
    return end_job(id, holder, "failed_ms", now_ms, JobStatus::Failed, "error_message", error_message);
  }

  Status release_job(const std::string& id, const std::string& holder) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "UPDATE async_jobs SET status = ?, started_ms = NULL, lease_until_ms = 0 "
                "WHERE id = ? AND status = ? AND lease_holder = ?");
    q.bind(1, int64_t(JobStatus::Created));
    q.bind(2, id);
    q.bind(3, int64_t(JobStatus::InProgress));
    q.bind(4, holder);
    if (q.step() != SQLITE_DONE) return q.error();
    if (sqlite3_changes(db_) == 0) return not_held(id, holder);
    return Status::success();
  }

  Result<int64_t> requeue_interrupted_jobs() override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "UPDATE async_jobs SET status = ?, started_ms = NULL, lease_until_ms = 0 WHERE status = ?");
    q.bind(1, int64_t(JobStatus::Created));
    q.bind(2, int64_t(JobStatus::InProgress));
    if (q.step() != SQLITE_DONE) return q.error();
    return int64_t(sqlite3_changes(db_));
  }

 private:
  static constexpr const char* kRecordColumns =
      "request_id, key_id, model, endpoint, created_ms, status, prompt_tokens, completion_tokens, cached_tokens, "
      "search_queries, queue_ms, ttft_ms, total_ms, input_cost_micros, output_cost_micros, request_cost_micros";

  // The usage rows a query selecting kRecordColumns returns.
  static Result<std::vector<UsageRecord>> read_records(Statement& q) {
    std::vector<UsageRecord> rows;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      UsageRecord r;
      r.request_id = q.text_at(0);
      r.key_id = q.text_at(1);
      r.model = q.text_at(2);
      r.endpoint = q.text_at(3);
      r.created_ms = q.int_at(4);
      r.status = int(q.int_at(5));
      r.prompt_tokens = q.int_at(6);
      r.completion_tokens = q.int_at(7);
      r.cached_tokens = q.int_at(8);
      r.search_queries = q.int_at(9);
      r.queue_ms = q.int_at(10);
      r.ttft_ms = q.int_at(11);
      r.total_ms = q.int_at(12);
      r.cost = {q.int_at(13), q.int_at(14), q.int_at(15)};
      rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return q.error();
    return rows;
  }

  static constexpr const char* kJobColumns =
      "SELECT id, key_id, model, created_ms, started_ms, completed_ms, failed_ms, status, lease_holder, "
      "lease_until_ms";

  static AsyncJob job_at(const Statement& q) {
    AsyncJob job;
    job.id = q.text_at(0);
    job.key_id = q.text_at(1);
    job.model = q.text_at(2);
    job.created_ms = q.int_at(3);
    job.started_ms = q.optional_int_at(4);
    job.completed_ms = q.optional_int_at(5);
    job.failed_ms = q.optional_int_at(6);
    job.status = JobStatus(q.int_at(7));
    job.lease_holder = q.text_at(8);
    job.lease_until_ms = q.int_at(9);
    return job;
  }

  Result<std::optional<AsyncJob>> claim_locked(const std::string& holder, int64_t now_ms, int64_t lease_ms) {
    Statement q(db_, std::string(kJobColumns) +
                         ", request_json FROM async_jobs WHERE status = ? OR (status = ? AND lease_until_ms <= ?) "
                         "ORDER BY created_ms, id LIMIT 1");
    q.bind(1, int64_t(JobStatus::Created));
    q.bind(2, int64_t(JobStatus::InProgress));
    q.bind(3, now_ms);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<AsyncJob>{};
    if (rc != SQLITE_ROW) return q.error();
    AsyncJob job = job_at(q);
    job.request_json = q.text_at(10);
    job.status = JobStatus::InProgress;
    job.started_ms = now_ms;
    job.lease_holder = holder;
    job.lease_until_ms = now_ms + lease_ms;
    Statement u(db_, "UPDATE async_jobs SET status = ?, started_ms = ?, lease_holder = ?, lease_until_ms = ? WHERE id = ?");
    u.bind(1, int64_t(job.status));
    u.bind(2, now_ms);
    u.bind(3, holder);
    u.bind(4, job.lease_until_ms);
    u.bind(5, job.id);
    if (u.step() != SQLITE_DONE) return u.error();
    return std::optional<AsyncJob>(std::move(job));
  }

  static Error not_held(const std::string& id, const std::string& holder) {
    return Error{fmt::format("async job '{}' is not in progress under '{}'", id, holder), ErrorKind::NotFound, "id"};
  }

  Status end_job(const std::string& id, const std::string& holder, const char* time_column, int64_t now_ms,
                 JobStatus status, const char* text_column, const std::string& text) {
    std::lock_guard lock(mutex_);
    Statement q(db_, fmt::format("UPDATE async_jobs SET status = ?, {} = ?, {} = ? "
                                 "WHERE id = ? AND status = ? AND lease_holder = ?",
                                 time_column, text_column));
    q.bind(1, int64_t(status));
    q.bind(2, now_ms);
    q.bind(3, text);
    q.bind(4, id);
    q.bind(5, int64_t(JobStatus::InProgress));
    q.bind(6, holder);
    if (q.step() != SQLITE_DONE) return q.error();
    if (sqlite3_changes(db_) == 0) return not_held(id, holder);
    return Status::success();
  }

  static constexpr const char* kKeyColumns =
      "SELECT id, name, hint, created_ms, expires_ms, revoked_ms, requests_per_minute, tokens_per_minute, models, "
      "no_retention FROM api_keys";

  static KeyRecord key_at(const Statement& q) {
    KeyRecord k;
    k.id = q.text_at(0);
    k.name = q.text_at(1);
    k.hint = q.text_at(2);
    k.created_ms = q.int_at(3);
    k.expires_ms = q.optional_int_at(4);
    k.revoked_ms = q.optional_int_at(5);
    k.requests_per_minute = q.optional_int_at(6);
    k.tokens_per_minute = q.optional_int_at(7);
    k.models = split_model_list(q.text_at(8));
    k.no_retention = q.int_at(9) != 0;
    return k;
  }

  Status insert_key_locked(const KeyRecord& key, const SecretHash& secret) {
    Statement k(db_,
                "INSERT INTO api_keys (id, name, hint, created_ms, expires_ms, revoked_ms, requests_per_minute, "
                "tokens_per_minute, models, no_retention) VALUES (?,?,?,?,?,?,?,?,?,?)");
    k.bind(1, key.id);
    k.bind(2, key.name);
    k.bind(3, key.hint);
    k.bind(4, key.created_ms);
    k.bind(5, key.expires_ms);
    k.bind(6, key.revoked_ms);
    k.bind(7, key.requests_per_minute);
    k.bind(8, key.tokens_per_minute);
    k.bind(9, join_model_list(key.models));
    k.bind(10, int64_t(key.no_retention));
    if (k.step() != SQLITE_DONE) return k.error();
    Statement s(db_, "INSERT INTO key_secrets (hash, key_id, created_ms) VALUES (?,?,?)");
    s.bind(1, to_hex(secret));
    s.bind(2, key.id);
    s.bind(3, key.created_ms);
    if (s.step() != SQLITE_DONE) return s.error();
    return Status::success();
  }

  Status rotate_locked(const std::string& id, const SecretHash& secret, const std::string& hint,
                       int64_t old_expires_ms) {
    Statement h(db_, "UPDATE api_keys SET hint = ? WHERE id = ?");
    h.bind(1, hint);
    h.bind(2, id);
    if (h.step() != SQLITE_DONE) return h.error();
    if (sqlite3_changes(db_) == 0) return Error{fmt::format("no API key with id '{}'", id), ErrorKind::NotFound, "id"};
    Statement e(db_, "UPDATE key_secrets SET expires_ms = MIN(COALESCE(expires_ms, ?1), ?1) WHERE key_id = ?2");
    e.bind(1, old_expires_ms);
    e.bind(2, id);
    if (e.step() != SQLITE_DONE) return e.error();
    Statement s(db_, "INSERT INTO key_secrets (hash, key_id, created_ms) VALUES (?,?,?)");
    s.bind(1, to_hex(secret));
    s.bind(2, id);
    s.bind(3, old_expires_ms);
    if (s.step() != SQLITE_DONE) return s.error();
    return Status::success();
  }

  std::mutex mutex_;
  sqlite3* db_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorKind::Internal, "cannot create data directory {}: {}", dir.string(), ec.message());
    // Keys' hashes and usage are the operator's business only.
    ::chmod(dir.c_str(), 0700);
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return make_error(ErrorKind::Internal, "data directory {} is not a directory", dir.string());
  }
  const std::string file = (dir / "tachyon.db").string();
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Error e = make_error(ErrorKind::Internal, "cannot open {}: {}", file, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return e;
  }
  ::chmod(file.c_str(), 0600);
  auto store = std::make_unique<SqliteStore>(db);
  // Another process (the CLI while a server runs) may hold the write lock for a moment.
  sqlite3_busy_timeout(db, 5000);
  // WAL: readers never block the writer. synchronous=NORMAL: a commit is in the WAL file when it
  // returns, so it survives the process being killed; only a power loss can lose the last ones.
  // secure_delete: purged request logs are overwritten, not left in free pages.
  // Turning a new file to WAL needs it alone for a moment, and while another process does the
  // same SQLite answers "locked" at once, without waiting in the busy handler: so wait here.
  constexpr const char* kSettings = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                                    "PRAGMA secure_delete=ON;";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  Status settings = store->exec(kSettings);
  while (!settings && sqlite3_errcode(db) == SQLITE_BUSY && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    settings = store->exec(kSettings);
  }
  if (!settings) return settings.error();
  if (Status s = store->migrate(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tachyon::platform
