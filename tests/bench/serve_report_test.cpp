#include "bench/serve_report.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/svg_chart.h"

namespace tachyon::bench {
namespace {

RequestRecord finished(double sent, std::vector<double> chunks, int32_t tokens) {
  RequestRecord r;
  r.ok = true;
  r.sent_at_s = sent;
  r.chunk_times_s = std::move(chunks);
  r.completion_tokens = tokens;
  r.prompt_tokens = 10;
  r.usage_reported = true;
  r.e2e_s = r.chunk_times_s.back() + 0.01;
  return r;
}

std::vector<RunPoint> sample_points() {
  RunPoint slow{"http://a", Scenario::Server, 1.0, 0, 2.0, {}};
  slow.records = {finished(0, {0.5, 1.0, 1.5}, 3), finished(0.5, {0.5, 0.7, 0.9}, 3)};
  RunPoint fast{"http://a", Scenario::Server, 2.0, 0, 1.0, {}};
  fast.records = {finished(0, {0.2, 0.3, 0.4}, 3)};
  RequestRecord failed;
  failed.error = "connect: refused";
  RunPoint other{"http://b", Scenario::Single, 0, 1, 1.0, {failed}};
  return {slow, fast, other};
}

TEST(ServeSummaryTest, SummarizesLatenciesAndThroughput) {
  const auto points = sample_points();
  const RunSummary s = summarize(points[0]);
  EXPECT_EQ(s.n_ok, 2);
  EXPECT_EQ(s.n_failed, 0);
  EXPECT_EQ(s.output_tokens, 6);
  EXPECT_DOUBLE_EQ(s.ttft_s.p50, 0.5);
  EXPECT_DOUBLE_EQ(s.output_throughput, 3.0);
  EXPECT_DOUBLE_EQ(s.request_throughput, 1.0);
  EXPECT_NEAR(s.itl_s.p50, 0.35, 1e-12);  // gaps 0.5, 0.5, 0.2, 0.2
  EXPECT_DOUBLE_EQ(s.decode_tps.p50, (2.0 + 5.0) / 2);
  const RunSummary f = summarize(points[2]);
  EXPECT_EQ(f.n_failed, 1);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0], "connect: refused");
}

TEST(ServeSummaryTest, BestThroughputHonoursTheStreamSpeedFloor) {
  const auto best = best_throughputs(sample_points(), {3, 8, 100});
  ASSERT_EQ(best.size(), 6u);  // two targets x three floors
  EXPECT_EQ(best[0].target, "http://a");
  ASSERT_TRUE(best[0].output_throughput);
  EXPECT_DOUBLE_EQ(*best[0].output_throughput, 3.0);  // both qualify; rate 1 reached more
  EXPECT_EQ(best[0].at, "server @ 1 req/s");
  ASSERT_TRUE(best[1].output_throughput);  // only rate 2 (10 tok/s per stream) qualifies
  EXPECT_EQ(best[1].at, "server @ 2 req/s");
  EXPECT_FALSE(best[2].output_throughput);
  EXPECT_FALSE(best[3].output_throughput);  // the failed target never qualifies
}

TEST(ServeReportTest, JsonHasTheDocumentedShape) {
  ServeBenchOptions o;
  o.base_urls = {"http://a", "http://b"};
  o.min_stream_tps = {3};
  const auto j = serve_report_json(o, sample_points());
  ASSERT_TRUE(j.contains("config"));
  EXPECT_EQ(j["config"]["base_urls"].size(), 2u);
  ASSERT_EQ(j["runs"].size(), 3u);
  const auto& run = j["runs"][0];
  for (const char* key : {"target", "scenario", "rate", "concurrency", "wall_s", "requests_ok", "requests_failed",
                          "request_throughput", "output_throughput", "requests", "errors"})
    EXPECT_TRUE(run.contains(key)) << key;
  for (const char* key : {"ttft_s", "itl_s", "decode_tps", "e2e_s"})
    for (const char* p : {"p50", "p90", "p99"}) EXPECT_TRUE(run[key][p].is_number()) << key << "." << p;
  EXPECT_EQ(run["scenario"], "server");
  EXPECT_EQ(run["requests"].size(), 2u);
  EXPECT_EQ(j["runs"][2]["requests"][0]["error"], "connect: refused");
  ASSERT_EQ(j["best_throughput"].size(), 2u);
  EXPECT_TRUE(j["best_throughput"][1]["output_throughput"].is_null());
}

TEST(ServeReportTest, MarkdownAndFilesAreWritten) {
  ServeBenchOptions o;
  o.base_urls = {"http://a", "http://b"};
  const auto points = sample_points();
  const std::string md = serve_report_markdown(o, points);
  EXPECT_NE(md.find("| http://a | server @ 1 req/s | 2 / 0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("not reached"), std::string::npos);
  const auto dir = std::filesystem::temp_directory_path() / "tachyon_bench_report_test";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_serve_report(o, points, dir.string()));
  for (const char* name : {"results.json", "results.md", "throughput_vs_rate.svg", "ttft_vs_rate.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  EXPECT_FALSE(std::filesystem::exists(dir / "throughput_vs_concurrency.svg"));
  std::ifstream in(dir / "results.json");
  EXPECT_FALSE(nlohmann::json::parse(in, nullptr, false).is_discarded());
  std::filesystem::remove_all(dir);
}

TEST(SvgChartTest, RendersOneLinePerSeriesAndEscapesNames) {
  LineChart chart{"t", "x", "y", {{"http://a?x=<1>&y", {{0.5, 10}, {1, 20}}}, {"b", {{0.5, 5}}}}};
  const std::string svg = render_svg(chart);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("http://a?x=&lt;1&gt;&amp;y"), std::string::npos);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
  EXPECT_EQ(lines, 2u);
  EXPECT_NE(render_svg(LineChart{}).find("</svg>"), std::string::npos);  // no data: still a valid document
}

}  // namespace
}  // namespace tachyon::bench
