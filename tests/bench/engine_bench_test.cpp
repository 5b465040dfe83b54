// Smoke test of `bench engine` on a tiny random model: every test runs and the JSON report has
// the documented keys. No timing is asserted.
#include "bench/engine_bench.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/random_model.h"

namespace tachyon::bench {
namespace {

TEST(EngineBenchTest, TinyModelReportHasEveryKey) {
  RandomModelSpec spec;
  spec.n_embd = 64;
  spec.n_layer = 2;
  spec.n_head = 4;
  spec.n_head_kv = 2;
  spec.n_ff = 128;
  spec.n_vocab = 300;
  spec.n_ctx = 256;
  spec.type = GgmlType::Q8_0;
  const auto path = (std::filesystem::temp_directory_path() / "tachyon_bench_engine_test.gguf").string();
  ASSERT_TRUE(write_random_model(spec, path));

  EngineBenchOptions o;
  o.model_path = path;
  o.n_prompt = 16;
  o.n_gen = 8;
  o.batch_sizes = {1, 2};
  o.reps = 1;
  o.threads = 2;
  o.bandwidth_bytes = size_t{8} << 20;
  int progress_lines = 0;
  o.progress = [&](const std::string&) { ++progress_lines; };
  auto report = run_engine_bench(o);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(progress_lines, 6);  // pp, tg, two batch sizes, bandwidth, paired roofline

  const nlohmann::json j = nlohmann::json::parse(engine_report_json(*report).dump());
  EXPECT_EQ(j["pp"]["n"], 16);
  EXPECT_EQ(j["tg"]["n"], 8);
  for (const char* test : {"pp", "tg"}) {
    EXPECT_GT(j[test]["tps"].get<double>(), 0) << test;
    EXPECT_TRUE(j[test]["stddev"].is_number()) << test;
  }
  ASSERT_EQ(j["batched"].size(), 2u);
  EXPECT_EQ(j["batched"][1]["seqs"], 2);
  EXPECT_GT(j["batched"][1]["tps"].get<double>(), 0);
  EXPECT_GT(j["batched"][1]["decode_tps"].get<double>(), 0);
  EXPECT_GT(j["bandwidth_gbps"].get<double>(), 0);
  EXPECT_GT(j["bandwidth_median_gbps"].get<double>(), 0);
  EXPECT_GT(j["roofline_pct"].get<double>(), 0);
  EXPECT_GT(j["roofline_peak_pct"].get<double>(), 0);
  ASSERT_EQ(j["roofline_quartiles_pct"].size(), 2u);
  EXPECT_LE(j["roofline_quartiles_pct"][0].get<double>(), j["roofline_pct"].get<double>());
  EXPECT_GE(j["roofline_quartiles_pct"][1].get<double>(), j["roofline_pct"].get<double>());
  EXPECT_EQ(j["model"], path);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["weight_type"], "q8_0");
  EXPECT_TRUE(j["isa"].is_string());
  EXPECT_GT(j["weight_bytes_per_token"].get<double>(), 0);
  EXPECT_NE(engine_report_table(*report).find("| tg8 |"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(EngineBenchTest, RejectsBadOptions) {
  EngineBenchOptions o;
  o.model_path = "/nonexistent/model.gguf";
  EXPECT_FALSE(run_engine_bench(o));
  o.reps = 0;
  EXPECT_FALSE(run_engine_bench(o));
  o.reps = 1;
  o.batch_sizes = {0};
  EXPECT_FALSE(run_engine_bench(o));
}

}  // namespace
}  // namespace tachyon::bench
