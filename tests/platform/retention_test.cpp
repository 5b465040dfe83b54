#include "platform/retention.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "platform/sqlite_store.h"
#include "platform/usage_recorder.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::ManualClock;
using testing::TempDir;

constexpr int64_t kDay = 86'400'000;

UsageRecord logged_request(const std::string& id, int64_t at_ms, const std::string& prompt) {
  UsageRecord r{.request_id = id, .key_id = std::string("key_a"), .model = std::string("m"),
                .endpoint = std::string("/v1/chat/completions")};
  r.created_ms = at_ms;
  r.log = RequestLog{id, "key_a", "m", "/v1/chat/completions", at_ms, 200,
                     R"({"messages":[{"role":"user","content":")" + prompt + R"("}]})", "the answer to " + prompt};
  return r;
}

std::string all_bytes(const std::filesystem::path& dir) {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out += ss.str();
  }
  return out;
}

TEST(Retention, LogsOlderThanTheWindowAreGoneAfterAPurge) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  ManualClock clock;
  const int64_t t0 = clock.now;
  std::vector<UsageRecord> rows = {logged_request("old", t0 - 31 * kDay, "marker-old-7d1f"),
                                   logged_request("recent", t0 - 29 * kDay, "marker-recent-c93a")};
  ASSERT_TRUE((*store)->insert_usage(rows).ok());
  auto old_log = (*store)->get_request_log("old");
  ASSERT_TRUE(old_log.ok());
  EXPECT_NE(old_log->request_json.find("marker-old-7d1f"), std::string::npos);
  EXPECT_EQ(old_log->response_text, "the answer to marker-old-7d1f");

  RetentionJob job(**store, clock.fn(), 30 * kDay, 0);
  auto purged = job.purge_now();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ((*store)->get_request_log("old").error().kind, ErrorKind::NotFound);
  EXPECT_TRUE((*store)->get_request_log("recent").ok());
  // Usage numbers are facts kept for billing; only the text goes.
  EXPECT_EQ((*store)->usage_of_request("old")->size(), 1u);

  // With the store still open: neither the database nor its WAL holds the purged text.
  EXPECT_EQ(all_bytes(tmp.path()).find("marker-old-7d1f"), std::string::npos);
  EXPECT_NE(all_bytes(tmp.path()).find("marker-recent-c93a"), std::string::npos);

  clock.now += 2 * kDay;
  EXPECT_EQ(*job.purge_now(), 1);
  EXPECT_EQ((*store)->get_request_log("recent").error().kind, ErrorKind::NotFound);
  store->reset();
  const std::string bytes = all_bytes(tmp.path());
  EXPECT_EQ(bytes.find("marker-old-7d1f"), std::string::npos);
  EXPECT_EQ(bytes.find("marker-recent-c93a"), std::string::npos);
}

TEST(Retention, TheBackgroundThreadPurgesAtStart) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  ManualClock clock;
  std::vector<UsageRecord> rows = {logged_request("old", clock.now - 40 * kDay, "x")};
  ASSERT_TRUE((*store)->insert_usage(rows).ok());
  {
    RetentionJob job(**store, clock.fn(), 30 * kDay, 3'600'000);
    for (int i = 0; i < 500 && (*store)->get_request_log("old").ok(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE((*store)->get_request_log("old").ok());
}

TEST(Retention, ARequestWithoutALogLeavesNoText) {
  TempDir tmp;
  {
    auto store = open_sqlite_store(tmp.path());
    ASSERT_TRUE(store.ok());
    UsageRecorder recorder(**store);
    UsageRecord kept = logged_request("kept", 1000, "marker-kept-51e0");
    UsageRecord secret = logged_request("secret", 1000, "marker-secret-a8b2");
    secret.log.reset();
    recorder.record(kept);
    recorder.record(secret);
    recorder.flush();
    EXPECT_EQ((*store)->get_request_log("secret").error().kind, ErrorKind::NotFound);
    EXPECT_EQ((*store)->usage_of_request("secret")->size(), 1u);
  }
  const std::string bytes = all_bytes(tmp.path());
  EXPECT_NE(bytes.find("marker-kept-51e0"), std::string::npos);  // the check can see text
  EXPECT_EQ(bytes.find("marker-secret-a8b2"), std::string::npos);
}

}  // namespace
}  // namespace tachyon::platform
