// What only PostgresStore does (URLs, schema versions, dropped connections); what every Store
// does is tested on both backends in store_test.cpp.
#include "platform/postgres_store.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "platform/open_store.h"
#include "open_at_once.h"
#include "postgres_server.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::PostgresServer;
using testing::query_value;

TEST(PostgresStore, UrlsShowNoPassword) {
  EXPECT_EQ(redact_database_url("postgresql://tachyon:s3cret@db:5432/tachyon"), "postgresql://tachyon:***@db:5432/tachyon");
  EXPECT_EQ(redact_database_url("postgres://u:p%40ss@db/x?sslmode=require&password=other"),
            "postgres://u:***@db/x?sslmode=require&password=***");
  EXPECT_EQ(redact_database_url("postgresql://tachyon@db/tachyon"), "postgresql://tachyon@db/tachyon");
  EXPECT_EQ(redact_database_url("postgresql://db/x?password=pw"), "postgresql://db/x?password=***");
  EXPECT_EQ(redact_database_url("postgresql:///tachyon"), "postgresql:///tachyon");
  EXPECT_TRUE(is_postgres_url("postgres://db/x"));
  EXPECT_FALSE(is_postgres_url("mysql://db/x"));
}

TEST(PostgresStore, OpenStorePicksTheBackendByUrl) {
  testing::TempDir tmp;
  auto sqlite = open_store(tmp.path(), "");
  ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "tachyon.db"));
  auto other = open_store(tmp.path(), "mysql://root:hunter22@db/x");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(other.error().message.find("hunter22"), std::string::npos) << other.error().message;
  EXPECT_EQ(store_location(tmp.path(), "postgresql://u:hunter22@db/x"), "database postgresql://u:***@db/x");
}

TEST(PostgresStore, ConnectionErrorsNameTheServerButNotThePassword) {
  // Port 1 on loopback: nothing listens there.
  auto store = open_postgres_store("postgresql://tachyon:hunter22-secret@127.0.0.1:1/tachyon?connect_timeout=2");
  ASSERT_FALSE(store.ok());
  const std::string& message = store.error().message;
  EXPECT_EQ(message.find("hunter22"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_NE(message.find("tachyon:***@"), std::string::npos) << message;
  auto invalid = open_postgres_store("postgresql://tachyon:hunter22@127.0.0.1:notaport/tachyon");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().message.find("hunter22"), std::string::npos) << invalid.error().message;
}

class PostgresServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::shared_postgres_server();
    if (!server && server.error().kind == ErrorKind::Unavailable) GTEST_SKIP() << server.error().message;
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = *server;
    auto database = server_->create_database();
    ASSERT_TRUE(database.ok()) << database.error().message;
    url_ = *database;
  }

  PostgresServer* server_ = nullptr;
  std::string url_;
};

TEST_F(PostgresServerTest, WrongDatabaseIsAClearError) {
  auto store = open_postgres_store(fmt::format("postgresql://postgres:pw-xyz-123@127.0.0.1:{}/no_such_db", server_->port()));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("no_such_db"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("pw-xyz-123"), std::string::npos) << store.error().message;
}

TEST_F(PostgresServerTest, ReplicasOpeningAtOnceApplyEachMigrationOnce) {
  constexpr int kReplicas = 6;
  auto opened = testing::open_at_once(kReplicas, [&] { return open_postgres_store(url_); });
  for (const auto& store : opened) ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(*query_value(url_, "SELECT COUNT(*) FROM schema_version"), std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(*query_value(url_, "SELECT MAX(version) FROM schema_version"), std::to_string(kPostgresSchemaVersion));
}

TEST_F(PostgresServerTest, RefusesADatabaseFromANewerSchema) {
  ASSERT_TRUE(open_postgres_store(url_).ok());
  ASSERT_TRUE(query_value(url_, "INSERT INTO schema_version VALUES (99, 0)").ok());
  auto again = open_postgres_store(url_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("schema version 99"), std::string::npos) << again.error().message;
}

TEST_F(PostgresServerTest, ReconnectsAfterTheServerDropsItsSessions) {
  auto store = open_postgres_store(url_, 2);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->insert_job({.id = "j1", .key_id = "key_a", .model = "m", .request_json = "{}"}).ok());
  // Two sessions open and idle in the pool.
  std::thread other([&] { EXPECT_TRUE((*store)->list_keys().ok()); });
  EXPECT_TRUE((*store)->list_keys().ok());
  other.join();
  // An administrator (or a database restart) ends every session of the store.
  auto killed = query_value(url_,
                            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_TRUE(killed.ok()) << killed.error().message;
  EXPECT_NE(*killed, "0");
  auto job = (*store)->get_job("j1", "key_a");
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->request_json, "{}");
  EXPECT_TRUE((*store)->claim_next_job("server-1", 1000, 1000)->has_value());
}

}  // namespace
}  // namespace tachyon::platform
