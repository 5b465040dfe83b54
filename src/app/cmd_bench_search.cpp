// `tachyon bench search`: search latency, queries/s and ingest rate. Wiring only; the
// measurement lives in src/bench/search_bench.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/search_bench.h"
#include "platform/sqlite_store.h"

namespace tachyon::app {

void add_bench_search_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("search", "Search latency (p50/p99), queries/s and ingest rate: default and generated corpora");
  auto o = std::make_shared<bench::SearchBenchOptions>();
  o->default_data_dir = platform::kDefaultDataDir;
  o->eval_set = std::string(TACHYON_SOURCE_DIR) + "/tests/data/search/default_corpus_eval.json";
  o->synthetic_dir = (std::filesystem::temp_directory_path() / "tachyon-search-bench").string();
  cmd->add_option("--data-dir", o->default_data_dir, "Data directory with the default corpus's index (\"\": skip)")
      ->capture_default_str();
  cmd->add_option("--eval-set", o->eval_set, "Queries for the default corpus")->capture_default_str();
  cmd->add_option("--synthetic", o->n_synthetic_passages, "Passages of the generated corpus (0: skip)")->capture_default_str();
  cmd->add_option("--synthetic-dir", o->synthetic_dir, "Where the generated index is built (reused when it matches)")
      ->capture_default_str();
  cmd->add_option("--queries", o->n_queries, "Timed queries per corpus and client count")->capture_default_str();
  cmd->add_option("--threads", o->n_threads, "Clients of the concurrent run")->capture_default_str();
  auto json_file = std::make_shared<std::string>();
  cmd->add_option("--json", *json_file, "Also write the results as one JSON object to this file");
  cmd->callback([o, json_file] {
    auto result = bench::run_search_bench(*o);
    if (!result) fail(result.error().message);
    fmt::print("{}", bench::search_bench_markdown(*o, *result));
    if (!json_file->empty()) {
      std::ofstream out(*json_file);
      out << bench::search_bench_json(*o, *result).dump(2) << '\n';
      if (!out) fail(fmt::format("--json {}: cannot write the file", *json_file));
    }
  });
}

}  // namespace tachyon::app
