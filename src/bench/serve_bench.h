#pragma once
// `bench serve`: a load generator for OpenAI-compatible servers, after pplx-api's method:
// single-stream (one request after another), "server" (Poisson arrivals at each rate) and
// closed-loop fixed concurrency. Every target gets the same seeded requests and arrival times,
// so servers can be compared side by side in one run. Call from one thread: all streams of a
// measurement run as coroutines on that thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "bench/stream_client.h"
#include "bench/workload.h"
#include "util/result.h"

namespace tachyon::bench {

struct ServeBenchOptions {
  std::vector<std::string> base_urls;
  ClientOptions client;
  bool single = true;                     // run the single-stream scenario
  bool server = true;                     // run the Poisson scenario at each rate
  std::vector<double> rates = {0.5, 1, 2};  // requests per second
  std::vector<int32_t> concurrency;       // closed-loop client counts (empty: none)
  int32_t requests = 16;                  // requests per measurement
  double duration_s = 0;                  // also stop sending after this long (0: no limit)
  LengthDistribution lengths;
  std::string dataset;                    // JSONL of {"prompt", "output_tokens"}; overrides lengths
  std::vector<double> min_stream_tps = {5, 10, 20};
  uint64_t seed = 1;
  std::function<void(const std::string&)> progress;  // one line per finished measurement, if set
};

enum class Scenario { Single, Server, Concurrency };

// "single", "server", "concurrency".
std::string_view scenario_name(Scenario scenario);

// One measurement: one target under one load.
struct RunPoint {
  std::string target;  // the base URL
  Scenario scenario = Scenario::Single;
  double rate = 0;          // requests/s (Server)
  int32_t concurrency = 1;  // clients (Single: 1; Concurrency: the count)
  double wall_s = 0;        // first send to last response
  std::vector<RequestRecord> records;
};

// Aggregates of one RunPoint over its successful requests.
struct RunSummary {
  int32_t n_ok = 0;
  int32_t n_failed = 0;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  Percentiles ttft_s;
  Percentiles itl_s;       // gaps between consecutive text chunks, over all requests
  Percentiles decode_tps;  // per request
  Percentiles e2e_s;
  double request_throughput = 0;  // successful requests / wall_s
  double output_throughput = 0;   // generated tokens / wall_s
  std::vector<std::string> errors;  // distinct error messages, at most a few
};

RunSummary summarize(const RunPoint& point);

// The highest output throughput among a target's measurements whose median per-request decode
// speed is at least min_stream_tps; nullopt when none qualifies.
struct BestThroughput {
  std::string target;
  double min_stream_tps = 0;
  std::optional<double> output_throughput;
  std::string at;  // the load that reached it, e.g. "server @ 1 req/s"
};

std::vector<BestThroughput> best_throughputs(const std::vector<RunPoint>& points,
                                             const std::vector<double>& min_stream_tps);

// A short label of a point's load: "single", "server @ 0.5 req/s", "concurrency 4".
std::string load_label(const RunPoint& point);

// Runs every scenario against every target in order. An Error for bad options or an unreadable
// dataset; failed requests are recorded in the points, not returned as errors.
Result<std::vector<RunPoint>> run_serve_bench(const ServeBenchOptions& options);

}  // namespace tachyon::bench
