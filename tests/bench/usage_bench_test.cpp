#include "bench/usage_bench.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace tachyon::bench {
namespace {

TEST(UsageBench, RunsOnAFreshFolderAndRemovesIt) {
  UsageBenchOptions o;
  o.data_dir = (std::filesystem::temp_directory_path() / "tachyon-usage-bench-test").string();
  std::filesystem::remove_all(o.data_dir);
  o.n_sequential = 5;
  o.n_concurrent = 3;
  o.n_rows_per_client = 4;
  o.n_burst = 100;
  auto r = run_usage_bench(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(r->sequential_ms.p50, 0);
  EXPECT_GE(r->concurrent_ms.p99, r->concurrent_ms.p50);
  EXPECT_GT(r->burst_rows_per_s, 0);
  EXPECT_GE(r->burst_rows_per_transaction, 1);
  EXPECT_FALSE(std::filesystem::exists(o.data_dir));
  EXPECT_NE(usage_bench_markdown(o, *r).find("writer peak"), std::string::npos);
}

TEST(UsageBench, RefusesAFolderThatExists) {
  UsageBenchOptions o;
  o.data_dir = std::filesystem::temp_directory_path().string();
  EXPECT_FALSE(run_usage_bench(o).ok());
}

}  // namespace
}  // namespace tachyon::bench
