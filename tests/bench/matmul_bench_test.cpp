// `bench matmul`: shape parsing, and a small run whose report has every shape with its ratio
// and quartiles. No timing is asserted.
#include "bench/matmul_bench.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon::bench {
namespace {

TEST(MatmulBenchTest, ParsesShapes) {
  auto qkv = parse_matmul_shape("qkv=2048x2048+256x2048+256x2048");
  ASSERT_TRUE(qkv) << qkv.error().message;
  EXPECT_EQ(qkv->name, "qkv");
  ASSERT_EQ(qkv->matrices.size(), 3u);
  EXPECT_EQ(qkv->matrices[1], (std::pair<int64_t, int64_t>{256, 2048}));

  auto unnamed = parse_matmul_shape("64x512");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->name, "64x512");
  EXPECT_EQ(unnamed->matrices.size(), 1u);

  for (const char* bad : {"", "x=", "64", "64x", "64x512+", "64x512+8x256", "-8x512", "64x512y", "a=64x0"})
    EXPECT_FALSE(parse_matmul_shape(bad)) << bad;
}

TEST(MatmulBenchTest, SmallRunReportsEveryShape) {
  MatmulBenchOptions o;
  o.type = GgmlType::Q4_0;
  o.shapes = {{"a", {{64, 256}, {16, 256}}}, {"b", {{32, 512}}}};
  o.threads = 2;
  o.rounds = 3;
  o.bytes_per_shape = 1 << 20;
  o.probe_bytes = 8 << 20;
  int rounds_reported = 0;
  auto report = run_matmul_bench(o, [&](const std::string&) { ++rounds_reported; });
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(rounds_reported, 3);
  EXPECT_EQ(report->type, "q4_0");
  EXPECT_GT(report->probe_median_gbps, 0);
  ASSERT_EQ(report->shapes.size(), 2u);
  EXPECT_DOUBLE_EQ(report->shapes[0].bytes, double(80 * 256 / 32 * 18));
  EXPECT_GE(report->shapes[0].copies, 2);
  for (const auto& s : report->shapes) {
    EXPECT_GT(s.gbps_median, 0);
    EXPECT_LE(s.ratio_q1_pct, s.ratio_median_pct);
    EXPECT_LE(s.ratio_median_pct, s.ratio_q3_pct);
  }
  const auto j = matmul_report_json(*report);
  for (const char* key : {"type", "isa", "threads", "rounds", "probe_median_gbps", "shapes"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["shapes"][1]["name"], "b");
  EXPECT_EQ(j["shapes"][1]["ratio_quartiles_pct"].size(), 2u);
  EXPECT_NE(matmul_report_table(*report).find("| b |"), std::string::npos);

  o.type = GgmlType::Q4_1;  // no packed kernel
  EXPECT_FALSE(run_matmul_bench(o, [](const std::string&) {}));
  o.type = GgmlType::Q4_0;
  o.shapes = {{"odd", {{12, 256}}}};  // not whole groups of eight rows
  EXPECT_FALSE(run_matmul_bench(o, [](const std::string&) {}));
}

}  // namespace
}  // namespace tachyon::bench
