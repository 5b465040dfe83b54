#pragma once
// The outputs of `bench serve`: results.json (configuration, one summary per measurement with its
// requests, best throughput under each stream-speed floor), results.md (Markdown tables) and SVG
// charts of throughput and TTFT against the request rate. Pure except write_serve_report.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/serve_bench.h"
#include "util/result.h"

namespace tachyon::bench {

// {"config":{...},"runs":[{"target","scenario","rate","concurrency","ttft_s":{"p50","p90","p99"},
//  "itl_s","decode_tps","e2e_s","request_throughput","output_throughput",...,"requests":[...]}],
//  "best_throughput":[{"target","min_stream_tps","output_throughput","at"}]}
nlohmann::json serve_report_json(const ServeBenchOptions& options, const std::vector<RunPoint>& points);

// One table row per measurement, then the best-throughput table.
std::string serve_report_markdown(const ServeBenchOptions& options, const std::vector<RunPoint>& points);

// Writes results.json, results.md, throughput_vs_rate.svg and ttft_vs_rate.svg (when the server
// scenario ran) and throughput_vs_concurrency.svg (when that scenario ran) into out_dir, creating
// it. An Error names the file that could not be written.
Status write_serve_report(const ServeBenchOptions& options, const std::vector<RunPoint>& points,
                          const std::string& out_dir);

}  // namespace tachyon::bench
