// One suite for every Store: each test runs on SQLite (a data directory) and on PostgreSQL (a
// fresh database on a throwaway server this binary starts). A second store opened on the same
// database stands for a second server replica.
#include "platform/store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "platform/key_admin.h"
#include "platform/key_ring.h"
#include "platform/open_store.h"
#include "open_at_once.h"
#include "postgres_server.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::ManualClock;
using testing::TempDir;

enum class Backend { Sqlite, Postgres };

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::Postgres) {
      auto server = testing::shared_postgres_server();
      if (!server && server.error().kind == ErrorKind::Unavailable) GTEST_SKIP() << server.error().message;
      ASSERT_TRUE(server.ok()) << server.error().message;
      auto database = (*server)->create_database();
      ASSERT_TRUE(database.ok()) << database.error().message;
      database_url_ = *database;
    }
    auto opened = open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  // Another store on this test's database, as another replica (or a restarted server) opens it.
  Result<std::unique_ptr<Store>> open() { return open_store(tmp_.path() / "data", database_url_); }

  Store& store() { return *store_; }
  void reopen() {
    store_.reset();
    auto opened = open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }

  TempDir tmp_;
  std::string database_url_;  // "" for SQLite
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) { return info.param == Backend::Sqlite ? "Sqlite" : "Postgres"; });

KeyRecord key_named(std::string id, std::string name) {
  KeyRecord k;
  k.id = std::move(id);
  k.name = std::move(name);
  k.hint = "abcd";
  k.created_ms = 1000;
  return k;
}

UsageRecord usage_row(std::string request_id, std::string key, std::string model, int64_t at_ms, int status,
                      int64_t prompt, int64_t completion) {
  UsageRecord r;
  r.request_id = std::move(request_id);
  r.key_id = std::move(key);
  r.model = std::move(model);
  r.endpoint = "/v1/chat/completions";
  r.created_ms = at_ms;
  r.status = status;
  r.prompt_tokens = prompt;
  r.completion_tokens = completion;
  r.cost = compute_cost({1, 2, 0.001}, prompt, completion);
  return r;
}

AsyncJob job_named(std::string id, std::string key, int64_t created_ms) {
  AsyncJob job;
  job.id = std::move(id);
  job.key_id = std::move(key);
  job.model = "m";
  job.created_ms = created_ms;
  job.request_json = R"({"messages":[]})";
  return job;
}

constexpr int64_t kLeaseMs = 30'000;

TEST_P(StoreTest, ReopeningKeepsKeysAndSchema) {
  KeyRecord k = key_named("key_a", "alpha");
  k.models = {"m1", "m2"};
  k.requests_per_minute = 5;
  k.no_retention = true;
  k.expires_ms = 99'000;
  ASSERT_TRUE(store().insert_key(k, hash_secret("tk-a")).ok());
  reopen();
  auto keys = store().list_keys();
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);
  const KeyRecord& got = keys->front();
  EXPECT_EQ(got.name, "alpha");
  EXPECT_EQ(got.hint, "abcd");
  EXPECT_EQ(got.created_ms, 1000);
  EXPECT_EQ(got.models, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(got.requests_per_minute, 5);
  EXPECT_FALSE(got.tokens_per_minute);
  EXPECT_FALSE(got.revoked_ms);
  EXPECT_TRUE(got.no_retention);
  EXPECT_EQ(got.expires_ms, 99'000);
  auto secrets = store().list_secrets();
  ASSERT_TRUE(secrets.ok());
  ASSERT_EQ(secrets->size(), 1u);
  EXPECT_EQ(secrets->front().key_id, "key_a");
  EXPECT_TRUE(hashes_equal(secrets->front().hash, hash_secret("tk-a")));
  EXPECT_FALSE(secrets->front().expires_ms);
}

TEST_P(StoreTest, KeysListInCreationOrderThenById) {
  KeyRecord late = key_named("key_0", "late");
  late.created_ms = 2000;
  ASSERT_TRUE(store().insert_key(late, hash_secret("tk-0")).ok());
  ASSERT_TRUE(store().insert_key(key_named("key_b", "b"), hash_secret("tk-b")).ok());
  ASSERT_TRUE(store().insert_key(key_named("key_B", "B"), hash_secret("tk-B")).ok());
  auto keys = store().list_keys();
  ASSERT_TRUE(keys.ok());
  std::vector<std::string> ids;
  for (const auto& k : *keys) ids.push_back(k.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"key_B", "key_b", "key_0"}));  // ids compare as bytes
}

TEST_P(StoreTest, RevokeAndRotate) {
  ASSERT_TRUE(store().insert_key(key_named("key_a", "a"), hash_secret("tk-old")).ok());
  EXPECT_FALSE(store().insert_key(key_named("key_a", "dup"), hash_secret("tk-x")).ok());
  EXPECT_EQ(store().list_keys()->size(), 1u);  // the failed insert left nothing behind
  ASSERT_TRUE(store().rotate_key("key_a", hash_secret("tk-new"), "wxyz", 5000).ok());
  auto secrets = store().list_secrets();
  ASSERT_TRUE(secrets.ok());
  ASSERT_EQ(secrets->size(), 2u);
  for (const KeySecret& s : *secrets) {
    if (hashes_equal(s.hash, hash_secret("tk-old"))) EXPECT_EQ(s.expires_ms, 5000);
    else EXPECT_FALSE(s.expires_ms);
  }
  // A second rotation never extends the first's grace period.
  ASSERT_TRUE(store().rotate_key("key_a", hash_secret("tk-newer"), "vxyz", 9000).ok());
  auto rotated_twice = store().list_secrets();
  ASSERT_TRUE(rotated_twice.ok());
  for (const KeySecret& s : *rotated_twice) {
    if (hashes_equal(s.hash, hash_secret("tk-old"))) EXPECT_EQ(s.expires_ms, 5000);
    else if (hashes_equal(s.hash, hash_secret("tk-new"))) EXPECT_EQ(s.expires_ms, 9000);
    else EXPECT_FALSE(s.expires_ms);
  }
  EXPECT_EQ(store().get_key("key_a")->hint, "vxyz");
  EXPECT_EQ(store().rotate_key("nope", hash_secret("tk-z"), "z", 1).error().kind, ErrorKind::NotFound);
  ASSERT_TRUE(store().revoke_key("key_a", 7000).ok());
  ASSERT_TRUE(store().revoke_key("key_a", 8000).ok());  // the first revocation's time stays
  EXPECT_EQ(store().get_key("key_a")->revoked_ms, 7000);
  EXPECT_EQ(store().revoke_key("nope", 1).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store().get_key("nope").error().kind, ErrorKind::NotFound);
}

TEST_P(StoreTest, UsageTotalsCountCompletedRequestsAndGroup) {
  const int64_t day1 = 1'700'000'000'000, day2 = day1 + 86'400'000;
  std::vector<UsageRecord> rows = {
      usage_row("r1", "key_a", "m1", day1, 200, 10, 20),
      usage_row("r2", "key_a", "m2", day2, 200, 1, 2),
      usage_row("r3", "key_b", "m1", day2, 200, 100, 200),
      usage_row("r4", "key_b", "m1", day2, 499, 5, 1),  // cancelled: recorded, not billed
  };
  ASSERT_TRUE(store().insert_usage(rows).ok());

  auto all = store().query_usage({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->totals.requests, 3);
  EXPECT_EQ(all->totals.prompt_tokens, 111);
  EXPECT_EQ(all->totals.completion_tokens, 222);
  EXPECT_EQ(all->totals.cost.total(), rows[0].cost.total() + rows[1].cost.total() + rows[2].cost.total());
  EXPECT_TRUE(all->rows.empty());

  auto by_key = store().query_usage({.by = UsageGrouping::Key});
  ASSERT_TRUE(by_key.ok()) << by_key.error().message;
  ASSERT_EQ(by_key->rows.size(), 2u);
  EXPECT_EQ(by_key->rows[0].group, "key_a");
  EXPECT_EQ(by_key->rows[0].totals.requests, 2);
  EXPECT_EQ(by_key->rows[1].totals.prompt_tokens, 100);

  auto by_day = store().query_usage({.by = UsageGrouping::Day});
  ASSERT_TRUE(by_day.ok()) << by_day.error().message;
  ASSERT_EQ(by_day->rows.size(), 2u);
  EXPECT_EQ(by_day->rows[0].group, "2023-11-14");
  EXPECT_EQ(by_day->rows[1].group, "2023-11-15");
  EXPECT_EQ(by_day->rows[1].totals.requests, 2);

  auto filtered =
      store().query_usage({.key_id = "key_b", .since_ms = day2, .until_ms = day2 + 1, .by = UsageGrouping::Model});
  ASSERT_TRUE(filtered.ok()) << filtered.error().message;
  EXPECT_EQ(filtered->totals.requests, 1);
  ASSERT_EQ(filtered->rows.size(), 1u);
  EXPECT_EQ(filtered->rows[0].group, "m1");
  EXPECT_EQ(filtered->rows[0].totals.cost.total(), rows[2].cost.total());

  auto one = store().query_usage({.request_id = "r2"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->totals.requests, 1);
  EXPECT_EQ(one->totals.prompt_tokens, 1);

  auto r4 = store().usage_of_request("r4");
  ASSERT_TRUE(r4.ok());
  ASSERT_EQ(r4->size(), 1u);
  EXPECT_EQ(r4->front().status, 499);
  EXPECT_EQ(r4->front().key_id, "key_b");
  EXPECT_EQ(r4->front().created_ms, day2);
  EXPECT_EQ(r4->front().cost.total(), rows[3].cost.total());
  EXPECT_FALSE(all->requests);  // request rows only with a request_id filter
  EXPECT_EQ(store().query_usage({.key_id = "nobody"})->totals.requests, 0);
}

TEST_P(StoreTest, RefusalCountsMergeByKeyEndpointAndMinuteAndFollowTheFilters) {
  const std::vector<RefusalCount> first = {{"key_a", "/v1/chat/completions", 60'000, 5},
                                           {"key_a", "/search", 60'000, 2},
                                           {"key_b", "/v1/chat/completions", 120'000, 7}};
  ASSERT_TRUE(store().add_refusal_counts(first).ok());
  const std::vector<RefusalCount> again = {{"key_a", "/v1/chat/completions", 60'000, 4}};
  ASSERT_TRUE(store().add_refusal_counts(again).ok());
  EXPECT_EQ(store().query_usage({})->rate_limited_without_rows, 18);
  EXPECT_EQ(store().query_usage({.key_id = "key_a"})->rate_limited_without_rows, 11);
  EXPECT_EQ(store().query_usage({.since_ms = 60'001})->rate_limited_without_rows, 7);
  EXPECT_EQ(store().query_usage({.until_ms = 120'000})->rate_limited_without_rows, 11);
  EXPECT_EQ(store().query_usage({.key_id = "key_b", .until_ms = 120'000})->rate_limited_without_rows, 0);
  auto by_request = store().query_usage({.request_id = "r1"});
  ASSERT_TRUE(by_request.ok()) << by_request.error().message;
  EXPECT_EQ(by_request->rate_limited_without_rows, 0);  // a request id names rows only
  EXPECT_EQ(store().query_usage({})->totals.requests, 0);  // never billed
}

TEST_P(StoreTest, ARequestIdFilterListsTheRequestsRowsOfEveryStatus) {
  UsageRecord refused = usage_row("r1", "key_a", "", 1000, 400, 0, 0);
  refused.cost = {};
  refused.endpoint = "/async/chat/completions";
  UsageRecord limited = usage_row("r1", "key_a", "m1", 2000, 429, 0, 0);
  limited.cost = {};
  UsageRecord done = usage_row("r1", "key_a", "m1", 3000, 200, 4, 5);
  done.cached_tokens = 3;
  done.search_queries = 1;
  done.queue_ms = 7;
  done.ttft_ms = 11;
  done.total_ms = 13;
  const std::vector<UsageRecord> rows = {refused, limited, done, usage_row("r2", "key_a", "m1", 3000, 404, 0, 0)};
  ASSERT_TRUE(store().insert_usage(rows).ok());

  auto r1 = store().query_usage({.request_id = "r1"});
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(r1->totals.requests, 1);  // totals still count completed requests only
  EXPECT_EQ(r1->totals.prompt_tokens, 4);
  ASSERT_TRUE(r1->requests);
  ASSERT_EQ(r1->requests->size(), 3u);
  EXPECT_EQ((*r1->requests)[0].status, 400);
  EXPECT_EQ((*r1->requests)[0].model, "");
  EXPECT_EQ((*r1->requests)[0].endpoint, "/async/chat/completions");
  EXPECT_EQ((*r1->requests)[0].cost.total(), 0);
  EXPECT_EQ((*r1->requests)[1].status, 429);
  const UsageRecord& got = (*r1->requests)[2];
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.cost.total(), rows[2].cost.total());
  EXPECT_EQ(got.completion_tokens, 5);
  EXPECT_EQ(got.cached_tokens, 3);
  EXPECT_EQ(got.search_queries, 1);
  EXPECT_EQ(got.queue_ms, 7);
  EXPECT_EQ(got.ttft_ms, 11);
  EXPECT_EQ(got.total_ms, 13);

  auto r2 = store().query_usage({.request_id = "r2"});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->totals.requests, 0);
  ASSERT_EQ(r2->requests->size(), 1u);
  EXPECT_EQ(r2->requests->front().status, 404);

  // The other filters apply to the rows too.
  EXPECT_TRUE(store().query_usage({.key_id = "key_b", .request_id = "r1"})->requests->empty());
  EXPECT_EQ(store().query_usage({.request_id = "r1", .since_ms = 2000})->requests->size(), 2u);
  EXPECT_EQ(store().query_usage({.request_id = "r1", .until_ms = 2000})->requests->size(), 1u);
  auto grouped = store().query_usage({.request_id = "r1", .by = UsageGrouping::Model});
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(grouped->rows.size(), 1u);
  EXPECT_EQ(grouped->requests->size(), 3u);
  EXPECT_TRUE(store().query_usage({.request_id = "missing"})->requests->empty());
}

// Clients choose their X-Request-ID: two keys' requests under one id keep both logs, newest first.
TEST_P(StoreTest, RequestLogsOfOneIdFromTwoKeysAreAllKept) {
  UsageRecord first = usage_row("shared", "key_a", "m", 1000, 200, 1, 2);
  first.log = RequestLog{"shared", "key_a", "m", "/v1/completions", 1000, 200, R"({"prompt":"a"})", "[]"};
  UsageRecord second = usage_row("shared", "key_b", "m", 2000, 200, 1, 2);
  second.log = RequestLog{"shared", "key_b", "m", "/v1/completions", 2000, 200, R"({"prompt":"b"})", "[]"};
  ASSERT_TRUE(store().insert_usage(std::vector<UsageRecord>{first}).ok());
  ASSERT_TRUE(store().insert_usage(std::vector<UsageRecord>{second}).ok());
  auto logs = store().request_logs("shared");
  ASSERT_TRUE(logs.ok()) << logs.error().message;
  ASSERT_EQ(logs->size(), 2u);
  EXPECT_EQ((*logs)[0].key_id, "key_b");
  EXPECT_EQ((*logs)[1].key_id, "key_a");
  EXPECT_EQ((*logs)[1].request_json, R"({"prompt":"a"})");
  EXPECT_EQ(store().get_request_log("shared")->key_id, "key_b");
  EXPECT_TRUE(store().request_logs("other")->empty());
}

TEST_P(StoreTest, RequestLogsAndStoredResponsesArePurgedTogether) {
  UsageRecord logged = usage_row("r1", "key_a", "m", 1000, 200, 1, 2);
  logged.log = RequestLog{"r1", "key_a", "m", "/v1/chat/completions", 1000, 200, R"({"messages":["héllo"]})",
                          R"(["wörld"])"};
  UsageRecord recent = usage_row("r2", "key_a", "m", 5000, 200, 1, 2);
  recent.log = RequestLog{"r2", "key_a", "m", "/v1/completions", 5000, 200, "{}", "[]"};
  const std::vector<UsageRecord> rows = {logged, recent};
  ASSERT_TRUE(store().insert_usage(rows).ok());
  auto log = store().get_request_log("r1");
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->request_json, R"({"messages":["héllo"]})");
  EXPECT_EQ(log->response_text, R"(["wörld"])");
  EXPECT_EQ(log->endpoint, "/v1/chat/completions");
  EXPECT_EQ(log->created_ms, 1000);
  EXPECT_EQ(store().get_request_log("nope").error().kind, ErrorKind::NotFound);

  ASSERT_TRUE(store().insert_response({"resp_1", "key_a", "m", 1000, R"([{"role":"user","content":"hi"}])",
                                       R"({"id":"resp_1"})"}).ok());
  ASSERT_TRUE(store().insert_response({"resp_2", "key_a", "m", 5000, "[]", R"({"id":"resp_2"})"}).ok());
  auto one = store().get_response("resp_1", "key_a");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->messages_json, R"([{"role":"user","content":"hi"}])");
  EXPECT_EQ(one->response_json, R"({"id":"resp_1"})");
  EXPECT_EQ(one->created_ms, 1000);
  auto other_key = store().get_response("resp_1", "key_b");
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().kind, ErrorKind::NotFound);
  EXPECT_FALSE(store().insert_response({"resp_1", "key_a", "m", 1, "[]", "{}"}).ok());  // ids are unique

  auto purged = store().purge_request_logs(2000);
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(*purged, 2);  // one log, one response
  EXPECT_FALSE(store().get_request_log("r1").ok());
  EXPECT_TRUE(store().get_request_log("r2").ok());
  EXPECT_FALSE(store().get_response("resp_1", "key_a").ok());
  EXPECT_TRUE(store().get_response("resp_2", "key_a").ok());
  EXPECT_EQ(store().usage_of_request("r1")->size(), 1u);  // usage numbers stay
}

TEST_P(StoreTest, AsyncJobsRunOldestFirstAndSurviveARestart) {
  ASSERT_TRUE(store().insert_job(job_named("j2", "key_a", 2000)).ok());
  ASSERT_TRUE(store().insert_job(job_named("j1", "key_a", 1000)).ok());
  ASSERT_TRUE(store().insert_job(job_named("j3", "key_b", 3000)).ok());
  EXPECT_FALSE(store().insert_job(job_named("j3", "key_b", 3000)).ok());  // ids are unique
  auto first = store().claim_next_job("server-1", 5000, kLeaseMs);
  ASSERT_TRUE(first.ok() && first->has_value()) << (first.ok() ? "none" : first.error().message);
  EXPECT_EQ((*first)->id, "j1");
  EXPECT_EQ((*first)->status, JobStatus::InProgress);
  EXPECT_EQ((*first)->started_ms, 5000);
  EXPECT_EQ((*first)->lease_holder, "server-1");
  EXPECT_EQ((*first)->lease_until_ms, 5000 + kLeaseMs);
  EXPECT_EQ((*first)->request_json, R"({"messages":[]})");
  EXPECT_EQ(store().complete_job("j1", "server-2", 6000, "{}").error().kind, ErrorKind::NotFound);  // not its job
  ASSERT_TRUE(store().complete_job("j1", "server-1", 6000, R"({"id":"x"})").ok());
  EXPECT_FALSE(store().complete_job("j1", "server-1", 6000, "{}").ok());  // already ended
  auto second = store().claim_next_job("server-1", 7000, kLeaseMs);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->id, "j2");

  // The server stops here with j2 in progress; the next one to start is the store's only user.
  reopen();
  EXPECT_EQ(*store().requeue_interrupted_jobs(), 1);
  auto again = store().claim_next_job("server-2", 8000, kLeaseMs);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, "j2");
  EXPECT_FALSE(store().fail_job("j2", "server-1", 9000, "late").ok());  // the stopped server's claim is void
  ASSERT_TRUE(store().fail_job("j2", "server-2", 9000, "boom").ok());

  auto j1 = store().get_job("j1", "key_a");
  ASSERT_TRUE(j1.ok()) << j1.error().message;
  EXPECT_EQ(j1->status, JobStatus::Completed);
  EXPECT_EQ(j1->completed_ms, 6000);
  EXPECT_FALSE(j1->failed_ms);
  EXPECT_EQ(j1->response_json, R"({"id":"x"})");
  auto j2 = store().get_job("j2", "key_a");
  ASSERT_TRUE(j2.ok());
  EXPECT_EQ(j2->status, JobStatus::Failed);
  EXPECT_EQ(j2->failed_ms, 9000);
  EXPECT_EQ(j2->error_message, "boom");
  EXPECT_EQ(store().get_job("j1", "key_b").error().kind, ErrorKind::NotFound);  // another key's job

  auto listed = store().list_jobs("key_a", 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).id, "j2");  // newest first
  EXPECT_TRUE(listed->at(0).request_json.empty());  // listings carry no bodies
  EXPECT_EQ(store().list_jobs("key_a", 1, 10)->size(), 1u);
  EXPECT_EQ(store().list_jobs("key_a", 0, 1)->size(), 1u);
  EXPECT_EQ(*store().count_unfinished_jobs("key_a"), 0);  // j1 completed, j2 failed
  EXPECT_EQ(*store().count_unfinished_jobs("key_b"), 1);  // j3 waits
  auto next = store().claim_next_job("server-2", 10'000, kLeaseMs);
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, "j3");
  EXPECT_EQ(*store().count_unfinished_jobs("key_b"), 1);  // and now runs
  EXPECT_FALSE(store().claim_next_job("server-2", 10'000, kLeaseMs)->has_value());
  EXPECT_STREQ(job_status_name(JobStatus::InProgress), "IN_PROGRESS");
}

TEST_P(StoreTest, AnExpiredLeaseIsTakenOverByAnotherReplica) {
  auto other = open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  Store& replica_b = **other;
  ASSERT_TRUE(store().insert_job(job_named("j1", "key_a", 1000)).ok());
  auto claimed = store().claim_next_job("replica-a", 10'000, 1000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());

  // While the lease runs, and while it is renewed, nobody else gets the job.
  EXPECT_FALSE(replica_b.claim_next_job("replica-b", 10'999, 1000)->has_value());
  ASSERT_TRUE(store().renew_job_lease("j1", "replica-a", 12'000).ok());
  EXPECT_FALSE(replica_b.claim_next_job("replica-b", 11'500, 1000)->has_value());
  EXPECT_EQ(replica_b.renew_job_lease("j1", "replica-b", 99'000).error().kind, ErrorKind::NotFound);

  // Replica a stops renewing (it died); once the lease has run out, b takes the job over.
  auto taken = replica_b.claim_next_job("replica-b", 12'000, 1000);
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->id, "j1");
  EXPECT_EQ((*taken)->lease_holder, "replica-b");
  EXPECT_EQ((*taken)->started_ms, 12'000);
  EXPECT_EQ((*taken)->request_json, R"({"messages":[]})");
  // Replica a coming back can neither renew nor end it.
  EXPECT_EQ(store().renew_job_lease("j1", "replica-a", 20'000).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store().complete_job("j1", "replica-a", 12'100, "{}").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(store().release_job("j1", "replica-a").error().kind, ErrorKind::NotFound);
  ASSERT_TRUE(replica_b.complete_job("j1", "replica-b", 12'500, R"({"by":"b"})").ok());
  auto job = store().get_job("j1", "key_a");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::Completed);
  EXPECT_EQ(job->response_json, R"({"by":"b"})");
  EXPECT_EQ(store().renew_job_lease("j1", "replica-b", 20'000).error().kind, ErrorKind::NotFound);  // ended
  EXPECT_FALSE(store().claim_next_job("replica-a", 99'000, 1000)->has_value());  // ended jobs stay ended
}

TEST_P(StoreTest, AReleasedJobIsClaimedAgainAtOnce) {
  ASSERT_TRUE(store().insert_job(job_named("j1", "key_a", 1000)).ok());
  ASSERT_TRUE(store().claim_next_job("replica-a", 2000, kLeaseMs)->has_value());
  EXPECT_EQ(store().release_job("j1", "replica-b").error().kind, ErrorKind::NotFound);
  ASSERT_TRUE(store().release_job("j1", "replica-a").ok());
  auto job = store().get_job("j1", "key_a");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::Created);
  EXPECT_FALSE(job->started_ms);
  auto again = store().claim_next_job("replica-b", 2001, kLeaseMs);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->lease_holder, "replica-b");
}

TEST_P(StoreTest, TwoReplicasClaimingConcurrentlyGetEachJobOnce) {
  auto other = open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i)
    ASSERT_TRUE(store().insert_job(job_named(fmt::format("job-{:03}", i), "key_a", 1000 + i)).ok());

  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> runs;  // job id -> who claimed it
  std::vector<std::string> errors;
  auto worker = [&](Store& replica, std::string holder) {
    while (true) {
      auto claimed = replica.claim_next_job(holder, 5000, kLeaseMs);
      if (!claimed) {
        std::lock_guard lock(mutex);
        errors.push_back(claimed.error().message);
        return;
      }
      if (!claimed->has_value()) return;
      const std::string id = (*claimed)->id;
      {
        std::lock_guard lock(mutex);
        runs[id].push_back(holder);
      }
      if (Status s = replica.complete_job(id, holder, 6000, "{}"); !s) {
        std::lock_guard lock(mutex);
        errors.push_back(s.error().message);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back(worker, std::ref(store()), fmt::format("a-{}", t));
    threads.emplace_back(worker, std::ref(**other), fmt::format("b-{}", t));
  }
  for (auto& t : threads) t.join();

  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(runs.size(), size_t(kJobs));
  for (const auto& [id, holders] : runs) EXPECT_EQ(holders.size(), 1u) << id << " claimed more than once";
  for (int i = 0; i < kJobs; i += 7) {
    auto job = (*other)->get_job(fmt::format("job-{:03}", i), "key_a");
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->status, JobStatus::Completed);
  }
}

TEST_P(StoreTest, UsageFromTwoReplicasLandsInOneTable) {
  auto other = open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::vector<std::thread> writers;
  constexpr int kBatches = 10;
  for (Store* replica : {&store(), other->get()}) {
    writers.emplace_back([replica, tag = replica == &store() ? "a" : "b"] {
      for (int i = 0; i < kBatches; ++i) {
        const std::vector<UsageRecord> batch = {usage_row(fmt::format("{}-{}", tag, i), "key_a", "m", 1000 + i, 200, 1, 2),
                                                usage_row(fmt::format("{}-{}x", tag, i), "key_b", "m", 1000 + i, 200, 3, 4)};
        EXPECT_TRUE(replica->insert_usage(batch).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  for (Store* reader : {&store(), other->get()}) {
    auto report = reader->query_usage({.by = UsageGrouping::Key});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->totals.requests, 4 * kBatches);
    EXPECT_EQ(report->totals.prompt_tokens, 2 * kBatches * (1 + 3));
    EXPECT_EQ(report->totals.completion_tokens, 2 * kBatches * (2 + 4));
    ASSERT_EQ(report->rows.size(), 2u);
    EXPECT_EQ(report->rows[0].totals.requests, 2 * kBatches);
  }
  EXPECT_EQ(store().usage_of_request("b-3")->size(), 1u);
  EXPECT_EQ((*other)->usage_of_request("a-3")->size(), 1u);
}

TEST_P(StoreTest, ReplicasOpeningAtOnceMigrateOnce) {
  // A database no store has opened yet: a new data directory, or a new PostgreSQL database.
  std::string url;
  std::filesystem::path dir = tmp_.path() / "fresh";
  if (GetParam() == Backend::Postgres) {
    auto database = (*testing::shared_postgres_server())->create_database();
    ASSERT_TRUE(database.ok()) << database.error().message;
    url = *database;
  }
  constexpr int kReplicas = 4;
  auto opened = testing::open_at_once(kReplicas, [&] { return open_store(dir, url); });
  for (const auto& store : opened) ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*opened[0])->insert_key(key_named("key_a", "a"), hash_secret("tk-a")).ok());
  for (auto& store : opened) EXPECT_EQ(store.value()->list_keys()->size(), 1u);
}

TEST_P(StoreTest, AKeyCreatedThroughOneReplicaAuthenticatesAtAnotherAfterTheRefresh) {
  auto other = open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  ManualClock clock;
  KeyRing ring_b(**other, clock.fn(), RateLimits{}, 1000);
  EXPECT_FALSE(*ring_b.has_keys());
  auto issued = create_key(store(), {.name = "shared"}, clock.now);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  clock.now += 1000;
  auto authenticated = ring_b.authenticate(issued->secret);
  ASSERT_TRUE(authenticated.ok()) << authenticated.error().message;
  EXPECT_EQ(authenticated->id, issued->key.id);

  ASSERT_TRUE(store().revoke_key(issued->key.id, clock.now).ok());
  clock.now += 1000;
  EXPECT_EQ(ring_b.authenticate(issued->secret).error().kind, ErrorKind::Unauthenticated);
}

}  // namespace
}  // namespace tachyon::platform
