#pragma once
// The platform's records and the store that keeps them. Store is an interface with two
// implementations: SqliteStore (sqlite_store.h), one database file in a data directory, and
// PostgresStore (postgres_store.h), one database that several server replicas share; open_store
// (open_store.h) picks one. Usage rows are facts appended once; every total is derived from them.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/api_key.h"
#include "platform/pricing.h"
#include "util/result.h"

namespace tachyon::platform {

// An API key as the store keeps it: everything but the secret, of which only hashes are kept
// (in KeySecret rows; a rotated key has the old one until its grace period ends).
struct KeyRecord {
  std::string id{};  // "key_..."
  std::string name{};  // the operator's label
  std::string hint{};  // last four characters of the current secret
  int64_t created_ms = 0;
  std::optional<int64_t> expires_ms{};  // the key stops working at this instant
  std::optional<int64_t> revoked_ms{};
  std::optional<int64_t> requests_per_minute{};  // nullopt: the server's default
  std::optional<int64_t> tokens_per_minute{};    // nullopt: the server's default
  std::vector<std::string> models{};           // empty: every served model
  bool no_retention = false;                   // never store this key's prompts or completions
};

struct KeySecret {
  std::string key_id;
  SecretHash hash{};
  std::optional<int64_t> expires_ms;  // set on the old secret of a rotated key
};

// What a request asked and what it was answered, kept for debugging and audit for the
// retention period, then purged. Never written for keys created with --no-retention.
struct RequestLog {
  std::string request_id{};
  std::string key_id{};
  std::string model{};
  std::string endpoint{};
  int64_t created_ms = 0;
  int status = 200;
  std::string request_json{};   // the request body as sent: parameters and prompt
  std::string response_text{};  // a JSON array of the choices' generated texts, in order
};

// A Response of POST /v1/responses kept (its `store`) so that a later request can continue from
// it with previous_response_id. Holds conversation text: kept for the retention period like a
// request log, and never written for keys created with --no-retention.
struct StoredResponse {
  std::string id{};       // "resp_..."
  std::string key_id{};
  std::string model{};
  int64_t created_ms = 0;
  std::string messages_json{};  // the chat messages it answered, earlier turns and instructions included
  std::string response_json{};  // the Response object as returned
};

enum class JobStatus { Created, InProgress, Completed, Failed };

// "CREATED", "IN_PROGRESS", "COMPLETED", "FAILED", as Perplexity's async API spells them.
const char* job_status_name(JobStatus status);

// An asynchronous chat completion: stored at submission, run later, its answer kept. A server
// that claims a job holds it under a lease: it renews the lease while the job runs, and once the
// lease has run out any server may claim the job again (its holder died).
struct AsyncJob {
  std::string id{};
  std::string key_id{};
  std::string model{};
  int64_t created_ms = 0;
  std::optional<int64_t> started_ms{};
  std::optional<int64_t> completed_ms{};
  std::optional<int64_t> failed_ms{};
  JobStatus status = JobStatus::Created;
  std::string request_json{};   // the chat completion request to run
  std::string response_json{};  // the chat completion, once completed
  std::string error_message{};  // why it failed
  std::string lease_holder{};   // who runs or last ran it ("" before the first claim)
  int64_t lease_until_ms = 0;   // an IN_PROGRESS job may be claimed again from this instant
};

// One finished request, success or not.
struct UsageRecord {
  std::string request_id{};
  std::string key_id{};  // "" for requests served in open mode
  std::string model{};
  std::string endpoint{};  // e.g. "/v1/chat/completions"
  int64_t created_ms = 0;
  int status = 200;  // the HTTP status the client was sent; 499 when the client went away
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t search_queries = 0;
  int64_t queue_ms = 0;
  int64_t ttft_ms = 0;
  int64_t total_ms = 0;
  CostMicros cost{};  // zero unless the request completed
  std::optional<RequestLog> log{};  // committed with the row; absent when nothing may be kept
};

// Refusals over a key's rate limits that have no usage row of their own: a key's first
// kItemizedRefusalsPerMinute refusals in a minute get rows like any refusal, the rest are
// counted here, one count per key, endpoint and minute, so that a client hammering past its
// limit grows the store by at most a few rows a minute (RefusalTally).
struct RefusalCount {
  std::string key_id{};
  std::string endpoint{};
  int64_t minute_ms = 0;  // the start of the minute (UTC), a multiple of 60,000
  int64_t count = 0;
};

enum class UsageGrouping { None, Day, Model, Key };

struct UsageQuery {
  std::optional<std::string> key_id{};
  std::optional<std::string> request_id{};
  std::optional<int64_t> since_ms{};  // inclusive
  std::optional<int64_t> until_ms{};  // exclusive
  UsageGrouping by = UsageGrouping::None;
};

// Sums over completed requests (status 200): what was delivered and billed.
struct UsageTotals {
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  CostMicros cost;
};

struct UsageRow {
  std::string group;  // the day, model or key id
  UsageTotals totals;
};

struct UsageReport {
  UsageTotals totals;
  std::vector<UsageRow> rows;  // one per group, in group order; empty without grouping
  // With a request_id filter: every row of that request matching the other filters, whatever
  // its status (refusals and cancellations included), oldest first. nullopt without one.
  std::optional<std::vector<UsageRecord>> requests{};
  // Refusals over the rate limits counted without rows of their own (RefusalCount), in the
  // minutes that start within the time filters; 0 with a request_id filter.
  int64_t rate_limited_without_rows = 0;
};

// A key's model list as both stores keep it in one text column: "m1,m2" ("" for every model).
std::string join_model_list(const std::vector<std::string>& models);
std::vector<std::string> split_model_list(std::string_view text);

// Thread-safe: every method may be called from any thread; each is one transaction.
class Store {
 public:
  virtual ~Store() = default;

  // Adds a key with its first secret. Fails if the id exists.
  virtual Status insert_key(const KeyRecord& key, const SecretHash& secret) = 0;
  virtual Result<std::vector<KeyRecord>> list_keys() = 0;
  virtual Result<KeyRecord> get_key(const std::string& id) = 0;
  // Every secret of every key, for authentication.
  virtual Result<std::vector<KeySecret>> list_secrets() = 0;
  // Marks a key revoked at `now_ms`; NotFound when there is no such key.
  virtual Status revoke_key(const std::string& id, int64_t now_ms) = 0;
  // Gives a key a new secret: its other secrets expire at `old_expires_ms` (if not sooner).
  virtual Status rotate_key(const std::string& id, const SecretHash& secret, const std::string& hint,
                            int64_t old_expires_ms) = 0;

  // Appends usage rows, and the request logs they carry, in one transaction: all of them are
  // durable when this returns ok.
  virtual Status insert_usage(std::span<const UsageRecord> rows) = 0;
  // Adds counts of refusals without rows, merging those of the same key, endpoint and minute,
  // in one transaction.
  virtual Status add_refusal_counts(std::span<const RefusalCount> counts) = 0;
  // Totals (and groups) of completed requests matching the query; with a request_id, also that
  // request's rows (UsageReport::requests).
  virtual Result<UsageReport> query_usage(const UsageQuery& query) = 0;
  // Rows of one request (tests and audits); usually one.
  virtual Result<std::vector<UsageRecord>> usage_of_request(const std::string& request_id) = 0;

  // The logs kept under one request id, newest first (at most kMaxLogsPerRequestId). Clients
  // choose their X-Request-ID, so requests of different keys can share one; usually one log.
  virtual Result<std::vector<RequestLog>> request_logs(const std::string& request_id) = 0;
  static constexpr int kMaxLogsPerRequestId = 100;
  // The newest of them; NotFound when there is none (never kept, or purged).
  Result<RequestLog> get_request_log(const std::string& request_id) {
    auto logs = request_logs(request_id);
    if (!logs) return logs.error();
    if (logs->empty()) return Error{"no request log for '" + request_id + "'", ErrorKind::NotFound, "request_id"};
    return std::move(logs->front());
  }
  // Deletes the logs of requests, and the stored responses, created before `before_ms`; returns
  // how many rows went.
  virtual Result<int64_t> purge_request_logs(int64_t before_ms) = 0;

  virtual Status insert_response(const StoredResponse& response) = 0;
  // The stored response with this id if it belongs to `key_id`; NotFound otherwise.
  virtual Result<StoredResponse> get_response(const std::string& id, const std::string& key_id) = 0;

  virtual Status insert_job(const AsyncJob& job) = 0;
  // The job with this id if it belongs to `key_id`; NotFound otherwise.
  virtual Result<AsyncJob> get_job(const std::string& id, const std::string& key_id) = 0;
  // A key's jobs, newest first, without request or response bodies; `offset` skips as many.
  virtual Result<std::vector<AsyncJob>> list_jobs(const std::string& key_id, int64_t offset, int64_t limit) = 0;
  // How many of a key's jobs have not ended (CREATED or IN_PROGRESS).
  virtual Result<int64_t> count_unfinished_jobs(const std::string& key_id) = 0;
  // Claims the oldest job that waits: CREATED, or IN_PROGRESS with a lease that has run out
  // (lease_until_ms <= now_ms). Marks it IN_PROGRESS, started at `now_ms`, held by `holder` until
  // now_ms + lease_ms, and returns it; nullopt when none waits. While a lease runs no other
  // claim gets the job, from this store object or any other on the same database.
  virtual Result<std::optional<AsyncJob>> claim_next_job(const std::string& holder, int64_t now_ms,
                                                         int64_t lease_ms) = 0;
  // Extends `holder`'s lease on an IN_PROGRESS job to `until_ms`. NotFound when `holder` holds it
  // no longer: it ended, was released, or was claimed by another after the lease ran out.
  virtual Status renew_job_lease(const std::string& id, const std::string& holder, int64_t until_ms) = 0;
  // Ends a job `holder` holds: completed with its response, or failed with a message. NotFound
  // when it is not IN_PROGRESS under `holder` (the answer of a lost lease is dropped).
  virtual Status complete_job(const std::string& id, const std::string& holder, int64_t now_ms,
                              const std::string& response_json) = 0;
  virtual Status fail_job(const std::string& id, const std::string& holder, int64_t now_ms,
                          const std::string& error_message) = 0;
  // Gives a held job back: CREATED again, so that the next claim, on any server, runs it at once
  // (a server stopping mid-job). NotFound when `holder` does not hold it.
  virtual Status release_job(const std::string& id, const std::string& holder) = 0;
  // Puts every IN_PROGRESS job back to CREATED, whatever its lease, and returns how many: for a
  // server that is its store's only user (a SQLite data directory) at start, so that the jobs
  // its last run left behind run at once rather than when their leases run out. Replicas
  // sharing a store must not call it: a live replica's job would run twice.
  virtual Result<int64_t> requeue_interrupted_jobs() = 0;
};

}  // namespace tachyon::platform
