#pragma once
// `tachyon bench usage`: what recording usage costs a request. Measures, on a real SQLite file,
// the commit latency a request waits for before its last byte (one request at a time, and with
// many requests finishing together) and the rows per second the single writer sustains.
#include <string>

#include "bench/stats.h"
#include "util/result.h"

namespace tachyon::bench {

struct UsageBenchOptions {
  std::string data_dir;        // a fresh folder for the database; removed afterwards
  int n_sequential = 500;      // rows recorded one at a time, each waited for
  int n_concurrent = 50;       // requests finishing together (closed loop)
  int n_rows_per_client = 200; // rows per concurrent client
  int n_burst = 50'000;        // rows queued at once, for the writer's peak rate
};

struct UsageBenchResult {
  Percentiles sequential_ms;     // commit wait of a lone request
  Percentiles concurrent_ms;     // commit wait with n_concurrent requests finishing together
  double concurrent_rows_per_s = 0;
  double burst_rows_per_s = 0;
  double burst_rows_per_transaction = 0;
};

// Runs the three measurements; fails only when the database cannot be used.
Result<UsageBenchResult> run_usage_bench(const UsageBenchOptions& options);

// The results as a Markdown table.
std::string usage_bench_markdown(const UsageBenchOptions& options, const UsageBenchResult& result);

}  // namespace tachyon::bench
