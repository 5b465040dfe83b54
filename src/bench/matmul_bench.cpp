#include "bench/matmul_bench.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "bench/memory_bandwidth.h"
#include "bench/stats.h"
#include "gguf/quantize.h"
#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"

namespace tachyon::bench {

namespace {

// One shape's matrices, `copies` times over, packed as a model's weights are.
struct ShapeCopies {
  std::vector<std::shared_ptr<const void>> owned;
  std::vector<std::vector<WeightMatrix>> copies;  // copies[c][m]
  double bytes = 0;                                // one call's weight bytes
};

Result<ShapeCopies> make_copies(const MatmulShape& shape, GgmlType type, size_t min_bytes, ThreadPool& pool) {
  ShapeCopies s;
  std::vector<std::vector<uint8_t>> rows;  // each matrix quantized once, packed copies of it
  for (const auto& [n_rows, n_cols] : shape.matrices) {
    const size_t row_bytes = ggml_row_size(type, n_cols);
    std::vector<uint8_t> data(row_bytes * size_t(n_rows));
    pool.parallel_for(n_rows, [&](int64_t begin, int64_t end, int) {
      std::vector<float> row(static_cast<size_t>(n_cols));
      for (int64_t r = begin; r < end; ++r) {
        std::mt19937 rng(static_cast<uint32_t>(r));
        std::normal_distribution<float> normal(0.0f, 0.02f);
        for (float& v : row) v = normal(rng);
        quantize_row(type, row.data(), data.data() + size_t(r) * row_bytes, n_cols);
      }
    });
    s.bytes += double(data.size());
    rows.push_back(std::move(data));
  }
  const int n_copies = std::max<int>(2, int(double(min_bytes) / s.bytes + 0.999));
  for (int c = 0; c < n_copies; ++c) {
    std::vector<WeightMatrix> set;
    for (size_t m = 0; m < shape.matrices.size(); ++m) {
      const auto [n_rows, n_cols] = shape.matrices[m];
      WeightMatrix w{type, rows[m].data(), n_rows, n_cols, ggml_row_size(type, n_cols)};
      auto packed = pack_rows(type, w.data, n_rows, n_cols);
      if (!packed) return make_error("{} rows of {} x {} have no packed layout", ggml_type_name(type), n_rows, n_cols);
      w.packed = packed.get();
      w.data = nullptr;  // only the packed copy is read; the quantized rows are dropped below
      s.owned.push_back(std::move(packed));
      set.push_back(w);
    }
    s.copies.push_back(std::move(set));
  }
  return s;
}

}  // namespace

Result<MatmulShape> parse_matmul_shape(const std::string& text) {
  MatmulShape shape;
  std::string dims = text;
  if (const size_t eq = text.find('='); eq != std::string::npos) {
    shape.name = text.substr(0, eq);
    dims = text.substr(eq + 1);
  }
  if (shape.name.empty()) shape.name = dims;
  size_t start = 0;
  while (start <= dims.size()) {
    const size_t plus = std::min(dims.find('+', start), dims.size());
    const std::string part = dims.substr(start, plus - start);
    long long r = 0, c = 0;
    char extra = 0;
    if (std::sscanf(part.c_str(), "%lldx%lld%c", &r, &c, &extra) != 2 || r <= 0 || c <= 0)
      return make_error("shape '{}': expected ROWSxCOLS[+ROWSxCOLS...], e.g. qkv=2048x2048+256x2048", text);
    if (!shape.matrices.empty() && c != shape.matrices.front().second)
      return make_error("shape '{}': the matrices of one call must share their column count", text);
    shape.matrices.push_back({r, c});
    start = plus + 1;
  }
  return shape;
}

std::vector<MatmulShape> tinyllama_layer_shapes() {
  return {{"qkv", {{2048, 2048}, {256, 2048}, {256, 2048}}},
          {"wo", {{2048, 2048}}},
          {"gate_up", {{5632, 2048}, {5632, 2048}}},
          {"down", {{2048, 5632}}}};
}

Result<MatmulBenchReport> run_matmul_bench(const MatmulBenchOptions& o,
                                           const std::function<void(const std::string&)>& progress) {
  if (o.rounds < 1) return make_error("rounds must be at least 1");
  if (o.shapes.empty()) return make_error("no shapes to measure");
  if (!can_quantize(o.type) || !packable(o.type, kPackRows))
    return make_error("type {} has no packed decode kernel", ggml_type_name(o.type));
  for (const MatmulShape& shape : o.shapes)
    for (const auto& [rows, cols] : shape.matrices)
      if (!packable(o.type, rows) || cols % ggml_traits(o.type).block_size != 0)
        return make_error("shape {}: {} x {} does not pack as {}", shape.name, rows, cols, ggml_type_name(o.type));

  ThreadPool pool(o.threads);
  std::vector<ShapeCopies> all;
  for (const MatmulShape& shape : o.shapes) {
    auto copies = make_copies(shape, o.type, o.bytes_per_shape, pool);
    if (!copies) return copies.error();
    all.push_back(std::move(*copies));
  }
  ReadBandwidthProbe probe(pool, o.probe_bytes);
  if (!probe.ok()) return make_error("could not allocate the {} MiB read buffer", o.probe_bytes >> 20);

  int64_t max_rows = 0, max_cols = 0;
  size_t max_matrices = 0;
  for (const MatmulShape& shape : o.shapes) {
    max_matrices = std::max(max_matrices, shape.matrices.size());
    for (const auto& [rows, cols] : shape.matrices) max_rows = std::max(max_rows, rows), max_cols = std::max(max_cols, cols);
  }
  std::vector<float> x(static_cast<size_t>(max_cols), 0.5f);
  // One output per matrix of a call; the calls' targets are built before anything is timed.
  std::vector<std::vector<float>> y(max_matrices, std::vector<float>(static_cast<size_t>(max_rows)));
  std::vector<std::vector<std::vector<MatmulTarget>>> calls(o.shapes.size());  // [shape][copy][matrix]
  for (size_t s = 0; s < o.shapes.size(); ++s) {
    for (const auto& set : all[s].copies) {
      std::vector<MatmulTarget>& targets = calls[s].emplace_back();
      for (size_t m = 0; m < set.size(); ++m) targets.push_back({&set[m], y[m].data()});
    }
  }

  std::vector<std::vector<double>> ratios(o.shapes.size()), rates(o.shapes.size());
  std::vector<double> passes;
  probe.sample();  // warm-up
  for (int round = 0; round < o.rounds; ++round) {
    for (size_t s = 0; s < o.shapes.size(); ++s) {
      const double before = probe.sample();
      const auto start = std::chrono::steady_clock::now();
      for (const auto& targets : calls[s]) matmul_many(targets, x.data(), 1, pool);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double after = probe.sample();
      const double gbps = all[s].bytes * double(all[s].copies.size()) / seconds / 1e9;
      rates[s].push_back(gbps);
      ratios[s].push_back(100.0 * gbps / ((before + after) / 2));
      passes.push_back(before);
      passes.push_back(after);
    }
    progress(fmt::format("round {}/{} done", round + 1, o.rounds));
  }

  MatmulBenchReport report;
  report.type = std::string(ggml_type_name(o.type));
  report.isa = std::string(isa_name(active_isa()));
  report.threads = pool.size();
  report.rounds = o.rounds;
  report.probe_median_gbps = percentile(passes, 50);
  for (size_t s = 0; s < o.shapes.size(); ++s) {
    report.shapes.push_back({o.shapes[s].name, all[s].bytes, int(all[s].copies.size()), percentile(rates[s], 50),
                             percentile(ratios[s], 50), percentile(ratios[s], 25), percentile(ratios[s], 75)});
  }
  return report;
}

nlohmann::json matmul_report_json(const MatmulBenchReport& r) {
  nlohmann::json shapes = nlohmann::json::array();
  for (const auto& s : r.shapes)
    shapes.push_back({{"name", s.name},
                      {"bytes", s.bytes},
                      {"copies", s.copies},
                      {"gbps_median", s.gbps_median},
                      {"ratio_median_pct", s.ratio_median_pct},
                      {"ratio_quartiles_pct", {s.ratio_q1_pct, s.ratio_q3_pct}}});
  return {{"type", r.type},           {"isa", r.isa},       {"threads", r.threads},
          {"rounds", r.rounds}, {"probe_median_gbps", r.probe_median_gbps}, {"shapes", shapes}};
}

std::string matmul_report_table(const MatmulBenchReport& r) {
  std::string out = fmt::format("decode matmuls, {} on {} with {} threads, {} rounds; read passes: median {:.1f} GB/s\n",
                                r.type, r.isa, r.threads, r.rounds, r.probe_median_gbps);
  out += "| shape | MB per call | copies | GB/s | of the read passes | quartiles |\n| --- | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& s : r.shapes)
    out += fmt::format("| {} | {:.2f} | {} | {:.1f} | {:.1f}% | {:.1f}-{:.1f}% |\n", s.name, s.bytes / 1e6, s.copies,
                       s.gbps_median, s.ratio_median_pct, s.ratio_q1_pct, s.ratio_q3_pct);
  return out;
}

}  // namespace tachyon::bench
