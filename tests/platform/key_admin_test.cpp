#include "platform/key_admin.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "platform/sqlite_store.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::TempDir;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KeyAdmin, TheSecretIsReturnedOnceAndNeverStored) {
  TempDir tmp;
  std::string secret, rotated;
  {
    auto store = open_sqlite_store(tmp.path());
    ASSERT_TRUE(store.ok());
    auto k = create_key(**store, {.name = "ci"}, 1000);
    ASSERT_TRUE(k.ok());
    secret = k->secret;
    auto r = rotate_key(**store, k->key.id, 0, 2000);
    ASSERT_TRUE(r.ok());
    rotated = r->secret;
  }
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path())) {
    const std::string bytes = read_all(entry.path());
    EXPECT_EQ(bytes.find(secret), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(secret.substr(3)), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(rotated.substr(3)), std::string::npos) << entry.path();
  }
}

TEST(KeyAdmin, ValidatesSpecs) {
  TempDir tmp;
  auto store = open_sqlite_store(tmp.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(create_key(**store, {.name = ""}, 0).error().param, "name");
  EXPECT_EQ(create_key(**store, {.name = "x", .requests_per_minute = 0}, 0).error().param, "rpm");
  EXPECT_EQ(rotate_key(**store, "key_missing", 0, 0).error().kind, ErrorKind::NotFound);
}

TEST(KeyAdmin, JsonShapes) {
  KeyRecord k{.id = "key_1", .name = "n", .hint = "WXYZ", .created_ms = 0, .revoked_ms = 5,
              .requests_per_minute = 5, .models = {"m"}};
  const auto j = key_json(k, 10, "tk-secret");
  EXPECT_EQ(j["id"], "key_1");
  EXPECT_EQ(j["secret"], "tk-secret");
  EXPECT_EQ(j["status"], "revoked");
  EXPECT_EQ(j["created_at"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(j["rpm"], 5);
  EXPECT_TRUE(j["tpm"].is_null());
  EXPECT_FALSE(key_json(k, 10).contains("secret"));

  UsageReport report;
  report.totals = {2, 10, 20, {1, 2, 14886}};
  report.rows.push_back({"m", report.totals});
  const auto u = usage_report_json(report);
  EXPECT_EQ(u["totals"]["requests"], 2);
  EXPECT_DOUBLE_EQ(u["totals"]["cost"]["total_cost"].get<double>(), 0.014889);
  EXPECT_EQ(u["rows"][0]["group"], "m");
  EXPECT_FALSE(u.contains("requests"));

  UsageRecord refused{.request_id = "req-1", .key_id = "key_1", .model = "m", .endpoint = "/v1/completions"};
  refused.created_ms = 1234;
  refused.status = 403;
  report.requests = std::vector<UsageRecord>{refused};
  const auto with_rows = usage_report_json(report);
  EXPECT_EQ(with_rows["totals"], u["totals"]);
  EXPECT_EQ(with_rows["rows"], u["rows"]);
  ASSERT_EQ(with_rows["requests"].size(), 1u);
  const auto& r = with_rows["requests"][0];
  EXPECT_EQ(r["request_id"], "req-1");
  EXPECT_EQ(r["key_id"], "key_1");
  EXPECT_EQ(r["model"], "m");
  EXPECT_EQ(r["endpoint"], "/v1/completions");
  EXPECT_EQ(r["created_ms"], 1234);
  EXPECT_EQ(r["status"], 403);
  for (const char* zero : {"prompt_tokens", "completion_tokens", "cached_tokens", "search_queries", "queue_ms", "ttft_ms",
                           "total_ms", "input_cost_micros", "output_cost_micros", "request_cost_micros"})
    EXPECT_EQ(r[zero], 0) << zero;
  report.requests = std::vector<UsageRecord>{};
  EXPECT_EQ(usage_report_json(report)["requests"], nlohmann::ordered_json::array());

  auto spec = parse_new_key_json(nlohmann::json::parse(R"({"name":"a","rpm":5,"models":["m"],"no_retention":true,"expires":"2030-01-01"})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->requests_per_minute, 5);
  EXPECT_TRUE(spec->no_retention);
  EXPECT_TRUE(spec->expires_ms);
  EXPECT_EQ(parse_new_key_json(nlohmann::json::parse(R"({"rpm":5})")).error().param, "name");
  EXPECT_EQ(parse_new_key_json(nlohmann::json::parse(R"({"name":"a","rpm":"5"})")).error().param, "rpm");
  EXPECT_EQ(parse_new_key_json(nlohmann::json::parse(R"({"name":"a","expires":"soon"})")).error().param, "expires");
}

}  // namespace
}  // namespace tachyon::platform
