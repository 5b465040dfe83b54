#pragma once
// How close one decode matmul (a single token against a whole weight matrix, or several
// matrices in one matmul_many) streams to the machine's read bandwidth, shape by shape. Each
// shape has enough copies of its matrices that a pass over them reads from DRAM; every round
// runs each shape once between two read passes of a ReadBandwidthProbe, so each ratio compares
// figures taken seconds apart (the bandwidth of a shared machine drifts within minutes).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gguf/ggml_type.h"
#include "util/result.h"

namespace tachyon::bench {

// One matmul_many call's matrices, each (rows, cols); all share cols.
struct MatmulShape {
  std::string name;
  std::vector<std::pair<int64_t, int64_t>> matrices;
};

// "name=RxC+RxC" (name optional); an Error for anything else.
Result<MatmulShape> parse_matmul_shape(const std::string& text);

// A TinyLlama-1.1B layer's decode matmuls: q/k/v together, the output projection, gate/up
// together and the down projection.
std::vector<MatmulShape> tinyllama_layer_shapes();

struct MatmulBenchOptions {
  GgmlType type = GgmlType::Q4_0;
  std::vector<MatmulShape> shapes = tinyllama_layer_shapes();
  int threads = 0;           // 0: all cores
  int rounds = 12;
  size_t bytes_per_shape = size_t(256) << 20;  // weight copies per shape, at least this many bytes
  size_t probe_bytes = size_t(512) << 20;
};

struct MatmulShapeReport {
  std::string name;
  double bytes = 0;  // weight bytes of one call
  int copies = 0;
  double gbps_median = 0;
  double ratio_median_pct = 0;  // stream rate / mean of the read passes around it
  double ratio_q1_pct = 0, ratio_q3_pct = 0;
};

struct MatmulBenchReport {
  std::string type;
  std::string isa;
  int threads = 0;
  int rounds = 0;
  double probe_median_gbps = 0;
  std::vector<MatmulShapeReport> shapes;
};

// `progress` gets one line per round.
Result<MatmulBenchReport> run_matmul_bench(const MatmulBenchOptions& o,
                                           const std::function<void(const std::string&)>& progress);
nlohmann::json matmul_report_json(const MatmulBenchReport& r);
std::string matmul_report_table(const MatmulBenchReport& r);

}  // namespace tachyon::bench
