#include "platform/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::TempDir;

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

TEST(SqliteStore, CreatesThePrivateDataDirectoryAndWalDatabase) {
  TempDir tmp;
  const auto dir = tmp.path() / "nested" / "data";
  auto store = open_sqlite_store(dir);
  ASSERT_TRUE(store.ok()) << store.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(dir / "tachyon.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "tachyon.db-wal"));
}

TEST(SqliteStore, RefusesADatabaseFromANewerSchema) {
  TempDir tmp;
  ASSERT_TRUE(open_sqlite_store(tmp.path()).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((tmp.path() / "tachyon.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto again = open_sqlite_store(tmp.path());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("schema version 99"), std::string::npos) << again.error().message;
}

TEST(SqliteStore, ReopeningKeepsKeysAndSchema) {
  TempDir tmp;
  {
    auto store = open_sqlite_store(tmp.path());
    ASSERT_TRUE(store.ok());
    KeyRecord k = key_named("key_a", "alpha");
    k.models = {"m1", "m2"};
    k.requests_per_minute = 5;
    k.no_retention = true;
    k.expires_ms = 99'000;
    ASSERT_TRUE((*store)->insert_key(k, hash_secret("tk-a")).ok());
  }
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  auto keys = (*store)->list_keys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  const KeyRecord& k = keys->front();
  EXPECT_EQ(k.name, "alpha");
  EXPECT_EQ(k.models, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(k.requests_per_minute, 5);
  EXPECT_FALSE(k.tokens_per_minute);
  EXPECT_TRUE(k.no_retention);
  EXPECT_EQ(k.expires_ms, 99'000);
  auto secrets = (*store)->list_secrets();
  ASSERT_TRUE(secrets.ok());
  ASSERT_EQ(secrets->size(), 1u);
  EXPECT_TRUE(hashes_equal(secrets->front().hash, hash_secret("tk-a")));
}

TEST(SqliteStore, RevokeAndRotate) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->insert_key(key_named("key_a", "a"), hash_secret("tk-old")).ok());
  EXPECT_FALSE((*store)->insert_key(key_named("key_a", "dup"), hash_secret("tk-x")).ok());
  ASSERT_TRUE((*store)->rotate_key("key_a", hash_secret("tk-new"), "wxyz", 5000).ok());
  auto secrets = (*store)->list_secrets();
  ASSERT_TRUE(secrets.ok());
  ASSERT_EQ(secrets->size(), 2u);
  for (const KeySecret& s : *secrets) {
    if (hashes_equal(s.hash, hash_secret("tk-old"))) EXPECT_EQ(s.expires_ms, 5000);
    else EXPECT_FALSE(s.expires_ms);
  }
  EXPECT_EQ((*store)->get_key("key_a")->hint, "wxyz");
  EXPECT_EQ((*store)->rotate_key("nope", hash_secret("tk-z"), "z", 1).error().kind, ErrorKind::NotFound);
  ASSERT_TRUE((*store)->revoke_key("key_a", 7000).ok());
  EXPECT_EQ((*store)->get_key("key_a")->revoked_ms, 7000);
  EXPECT_EQ((*store)->revoke_key("nope", 1).error().kind, ErrorKind::NotFound);
  EXPECT_EQ((*store)->get_key("nope").error().kind, ErrorKind::NotFound);
}

TEST(SqliteStore, UsageTotalsCountCompletedRequestsAndGroup) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  const int64_t day1 = 1'700'000'000'000, day2 = day1 + 86'400'000;
  std::vector<UsageRecord> rows = {
      usage_row("r1", "key_a", "m1", day1, 200, 10, 20),
      usage_row("r2", "key_a", "m2", day2, 200, 1, 2),
      usage_row("r3", "key_b", "m1", day2, 200, 100, 200),
      usage_row("r4", "key_b", "m1", day2, 499, 5, 1),  // cancelled: recorded, not billed
  };
  ASSERT_TRUE((*store)->insert_usage(rows).ok());

  auto all = (*store)->query_usage({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->totals.requests, 3);
  EXPECT_EQ(all->totals.prompt_tokens, 111);
  EXPECT_EQ(all->totals.completion_tokens, 222);
  EXPECT_EQ(all->totals.cost.total(), rows[0].cost.total() + rows[1].cost.total() + rows[2].cost.total());
  EXPECT_TRUE(all->rows.empty());

  auto by_key = (*store)->query_usage({.by = UsageGrouping::Key});
  ASSERT_TRUE(by_key.ok());
  ASSERT_EQ(by_key->rows.size(), 2u);
  EXPECT_EQ(by_key->rows[0].group, "key_a");
  EXPECT_EQ(by_key->rows[0].totals.requests, 2);
  EXPECT_EQ(by_key->rows[1].totals.prompt_tokens, 100);

  auto by_day = (*store)->query_usage({.by = UsageGrouping::Day});
  ASSERT_TRUE(by_day.ok());
  ASSERT_EQ(by_day->rows.size(), 2u);
  EXPECT_EQ(by_day->rows[0].group, "2023-11-14");
  EXPECT_EQ(by_day->rows[1].totals.requests, 2);

  auto filtered = (*store)->query_usage({.key_id = "key_b", .since_ms = day2, .until_ms = day2 + 1, .by = UsageGrouping::Model});
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->totals.requests, 1);
  ASSERT_EQ(filtered->rows.size(), 1u);
  EXPECT_EQ(filtered->rows[0].group, "m1");

  auto one = (*store)->query_usage({.request_id = "r2"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->totals.requests, 1);
  EXPECT_EQ(one->totals.prompt_tokens, 1);

  auto r4 = (*store)->usage_of_request("r4");
  ASSERT_TRUE(r4.ok());
  ASSERT_EQ(r4->size(), 1u);
  EXPECT_EQ(r4->front().status, 499);
  EXPECT_EQ(r4->front().cost.total(), rows[3].cost.total());
  EXPECT_FALSE(all->requests);  // request rows only with a request_id filter
}

TEST(SqliteStore, ARequestIdFilterListsTheRequestsRowsOfEveryStatus) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  UsageRecord refused = usage_row("r1", "key_a", "", 1000, 400, 0, 0);
  refused.cost = {};
  refused.endpoint = "/async/chat/completions";
  UsageRecord limited = usage_row("r1", "key_a", "m1", 2000, 429, 0, 0);
  limited.cost = {};
  const std::vector<UsageRecord> rows = {refused, limited, usage_row("r1", "key_a", "m1", 3000, 200, 4, 5),
                                         usage_row("r2", "key_a", "m1", 3000, 404, 0, 0)};
  ASSERT_TRUE((*store)->insert_usage(rows).ok());

  auto r1 = (*store)->query_usage({.request_id = "r1"});
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
  EXPECT_EQ((*r1->requests)[2].status, 200);
  EXPECT_EQ((*r1->requests)[2].cost.total(), rows[2].cost.total());

  auto r2 = (*store)->query_usage({.request_id = "r2"});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->totals.requests, 0);
  ASSERT_EQ(r2->requests->size(), 1u);
  EXPECT_EQ(r2->requests->front().status, 404);

  // The other filters apply to the rows too.
  EXPECT_TRUE((*store)->query_usage({.key_id = "key_b", .request_id = "r1"})->requests->empty());
  EXPECT_EQ((*store)->query_usage({.request_id = "r1", .since_ms = 2000})->requests->size(), 2u);
  EXPECT_EQ((*store)->query_usage({.request_id = "r1", .until_ms = 2000})->requests->size(), 1u);
  auto grouped = (*store)->query_usage({.request_id = "r1", .by = UsageGrouping::Model});
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(grouped->rows.size(), 1u);
  EXPECT_EQ(grouped->requests->size(), 3u);
  EXPECT_TRUE((*store)->query_usage({.request_id = "missing"})->requests->empty());
}

}  // namespace
}  // namespace tachyon::platform

namespace tachyon::platform {
namespace {

AsyncJob job_named(std::string id, std::string key, int64_t created_ms) {
  AsyncJob job;
  job.id = std::move(id);
  job.key_id = std::move(key);
  job.model = "m";
  job.created_ms = created_ms;
  job.request_json = R"({"messages":[]})";
  return job;
}

TEST(SqliteStore, AsyncJobsRunOldestFirstAndSurviveARestart) {
  TempDir tmp;
  {
    auto store = open_sqlite_store(tmp.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->insert_job(job_named("j2", "key_a", 2000)).ok());
    ASSERT_TRUE((*store)->insert_job(job_named("j1", "key_a", 1000)).ok());
    ASSERT_TRUE((*store)->insert_job(job_named("j3", "key_b", 3000)).ok());
    auto first = (*store)->claim_next_job(5000);
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->id, "j1");
    EXPECT_EQ((*first)->status, JobStatus::InProgress);
    EXPECT_EQ((*first)->request_json, R"({"messages":[]})");
    ASSERT_TRUE((*store)->complete_job("j1", 6000, R"({"id":"x"})").ok());
    EXPECT_FALSE((*store)->complete_job("j1", 6000, "{}").ok());  // already ended
    auto second = (*store)->claim_next_job(7000);
    ASSERT_TRUE(second.ok() && second->has_value());
    EXPECT_EQ((*second)->id, "j2");
    // The server stops here with j2 in progress.
  }
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->requeue_interrupted_jobs(), 1);
  auto again = (*store)->claim_next_job(8000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, "j2");
  ASSERT_TRUE((*store)->fail_job("j2", 9000, "boom").ok());

  auto j1 = (*store)->get_job("j1", "key_a");
  ASSERT_TRUE(j1.ok());
  EXPECT_EQ(j1->status, JobStatus::Completed);
  EXPECT_EQ(j1->completed_ms, 6000);
  EXPECT_EQ(j1->response_json, R"({"id":"x"})");
  auto j2 = (*store)->get_job("j2", "key_a");
  ASSERT_TRUE(j2.ok());
  EXPECT_EQ(j2->status, JobStatus::Failed);
  EXPECT_EQ(j2->error_message, "boom");
  EXPECT_EQ((*store)->get_job("j1", "key_b").error().kind, ErrorKind::NotFound);  // another key's job

  auto listed = (*store)->list_jobs("key_a", 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).id, "j2");  // newest first
  EXPECT_EQ((*store)->list_jobs("key_a", 1, 10)->size(), 1u);
  auto next = (*store)->claim_next_job(10'000);
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, "j3");
  EXPECT_FALSE((*store)->claim_next_job(10'000)->has_value());
  EXPECT_STREQ(job_status_name(JobStatus::InProgress), "IN_PROGRESS");
}

TEST(SqliteStore, StoredResponsesBelongToTheirKeyAndArePurgedWithTheLogs) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->insert_response({"resp_1", "key_a", "m", 1000, R"([{"role":"user","content":"hi"}])",
                                         R"({"id":"resp_1"})"}).ok());
  ASSERT_TRUE((*store)->insert_response({"resp_2", "key_a", "m", 5000, "[]", R"({"id":"resp_2"})"}).ok());
  auto one = (*store)->get_response("resp_1", "key_a");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->messages_json, R"([{"role":"user","content":"hi"}])");
  EXPECT_EQ(one->response_json, R"({"id":"resp_1"})");
  EXPECT_EQ(one->created_ms, 1000);
  auto other_key = (*store)->get_response("resp_1", "key_b");
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().kind, ErrorKind::NotFound);
  EXPECT_FALSE((*store)->insert_response({"resp_1", "key_a", "m", 1, "[]", "{}"}).ok());  // ids are unique
  EXPECT_EQ(*(*store)->purge_request_logs(2000), 1);
  EXPECT_FALSE((*store)->get_response("resp_1", "key_a").ok());
  EXPECT_TRUE((*store)->get_response("resp_2", "key_a").ok());
}

}  // namespace
}  // namespace tachyon::platform
