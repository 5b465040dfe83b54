// What only SqliteStore does (its files, its schema versions); what every Store does is tested
// on both backends in store_test.cpp.
#include "platform/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::TempDir;

// Runs SQL on the database file directly, as an older tachyon or an operator would.
void exec_sql(const std::filesystem::path& dir, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "tachyon.db").c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
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
  exec_sql(tmp.path(), "PRAGMA user_version = 99");
  auto again = open_sqlite_store(tmp.path());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("schema version 99"), std::string::npos) << again.error().message;
}

// A database of schema version 4 (before job leases), left by a server stopped with a job in
// progress: migration 5 adds the lease columns, and the job can be claimed at once; migration 6
// adds the refusal counts.
TEST(SqliteStore, MigratesAVersion4DatabaseWithAJobInProgress) {
  TempDir tmp;
  ASSERT_TRUE(open_sqlite_store(tmp.path()).ok());
  exec_sql(tmp.path(),
           "DROP TABLE refusal_counts; "
           "ALTER TABLE async_jobs DROP COLUMN lease_holder; ALTER TABLE async_jobs DROP COLUMN lease_until_ms; "
           "INSERT INTO async_jobs (id, key_id, model, created_ms, started_ms, status, request_json) "
           "VALUES ('j1', 'key_a', 'm', 1000, 2000, 1, '{}'); PRAGMA user_version = 4");
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto job = (*store)->get_job("j1", "key_a");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->status, JobStatus::InProgress);
  EXPECT_EQ(job->lease_until_ms, 0);
  auto claimed = (*store)->claim_next_job("server-1", 3000, 1000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_EQ((*claimed)->id, "j1");
  const std::vector<RefusalCount> counts = {{"key_a", "/v1/chat/completions", 60'000, 3}};
  ASSERT_TRUE((*store)->add_refusal_counts(counts).ok());
  EXPECT_EQ((*store)->query_usage({})->rate_limited_without_rows, 3);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((tmp.path() / "tachyon.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), kSqliteSchemaVersion);
  sqlite3_finalize(version);
  sqlite3_close(db);
}

}  // namespace
}  // namespace tachyon::platform
