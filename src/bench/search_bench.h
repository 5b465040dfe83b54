#pragma once
// `tachyon bench search`: what the search index costs. Ingest rate while it builds an index, and
// query latency (p50/p99) and queries/s, one client at a time and several at once, on the
// default corpus (with the evaluation set's queries) and on a generated corpus of any size
// (Zipf-distributed pseudo-words, queries of words drawn from its passages).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/stats.h"
#include "util/result.h"

namespace tachyon::bench {

struct SearchBenchOptions {
  std::string default_data_dir;    // a data directory with the default corpus's index; "" skips it
  std::string eval_set;            // its queries
  size_t n_synthetic_passages = 1'000'000;  // 0 skips the generated corpus
  std::string synthetic_dir;       // where its index is built (kept and reused when it exists)
  size_t n_queries = 1000;         // timed queries per corpus and mode
  int n_threads = 2;               // clients of the concurrent run
  int max_results = 10;
};

struct SearchLatency {
  std::string corpus;
  int64_t n_passages = 0;
  int n_clients = 1;
  size_t n_queries = 0;
  Percentiles ms;
  double queries_per_s = 0;
};

struct SearchBenchResult {
  std::optional<double> ingest_passages_per_s;  // set when the generated index was built now
  std::optional<double> ingest_pages_per_s;
  std::optional<double> ingest_s;
  std::vector<SearchLatency> latency;
};

Result<SearchBenchResult> run_search_bench(const SearchBenchOptions& options);

// The results as Markdown tables for docs/PERFORMANCE.md.
std::string search_bench_markdown(const SearchBenchOptions& options, const SearchBenchResult& result);

// The results as one JSON object: {"options", "ingest"?, "latency": [...]}.
nlohmann::json search_bench_json(const SearchBenchOptions& options, const SearchBenchResult& result);

}  // namespace tachyon::bench
