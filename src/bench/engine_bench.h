#pragma once
// `bench engine`: speed of the model's forward pass with no HTTP in the way, measured the way
// llama.cpp's llama-bench (pp, tg) and llama-batched-bench (batched) measure it, plus the memory
// bandwidth that bounds token generation. Call from one thread; it owns its own thread pool.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backend/device.h"
#include "bench/stats.h"
#include "kv/kv_cache.h"
#include "util/result.h"

namespace tachyon::bench {

struct EngineBenchOptions {
  std::string model_path;
  int32_t n_prompt = 512;                     // pp test: tokens in one forward pass; 0 skips it
  int32_t n_gen = 128;                        // tg test: tokens generated one at a time; 0 skips it
  std::vector<int32_t> batch_sizes = {1, 2, 4, 8};  // batched test: sequences; empty skips it
  int32_t batch_prompt = 220;                 // batched test: prompt tokens per sequence
  int32_t batch_gen = 64;                     // batched test: generated tokens per sequence
  int threads = 0;                            // 0: every core
  int reps = 3;                               // timed runs per test, after one warm-up run
  size_t bandwidth_bytes = size_t{1} << 30;   // buffer of the bandwidth test; 0 skips it
  KvDType kv_type = KvDType::F16;
  Device device = Device::Cpu;                // where the forward passes run
  uint64_t seed = 1234;                       // for the random prompt tokens
  std::function<void(const std::string&)> progress;  // one line per finished test, if set
};

// Tokens per second of a test over its timed runs.
struct ThroughputResult {
  int32_t n_tokens = 0;
  MeanStddev tps;
};

// One batch size of the batched test. tps counts every prompt and generated token over the whole
// run (llama-batched-bench's "total"); decode_tps counts generated tokens over the decode phase.
struct BatchedResult {
  int32_t n_seqs = 0;
  int32_t n_prompt = 0;
  int32_t n_gen = 0;
  MeanStddev tps;
  MeanStddev decode_tps;
};

struct EngineBenchReport {
  std::string model_path;
  std::string model_name;
  std::string weight_type;  // ggml type holding most of the weight bytes, e.g. "q8_0"
  int64_t n_params = 0;
  size_t weight_bytes_per_token = 0;  // weights read to generate one token (embeddings: one row)
  std::string isa;
  std::string device;  // "cpu" or the accelerator's name
  int threads = 0;
  int reps = 0;
  ThroughputResult pp;
  ThroughputResult tg;
  std::vector<BatchedResult> batched;
  double bandwidth_gbps = 0;  // host memory read bandwidth (best pass), or the accelerator's device-to-device copy bandwidth
  double bandwidth_median_gbps = 0;  // CPU: the median pass of the paired roofline test
  // Weight bytes streamed per second of generation over the bandwidth, in percent. CPU: the
  // median over blocks of 16 tokens, each against the bandwidth sampled just before and after
  // it (quartiles alongside); the accelerator: tg tok/s against its copy bandwidth.
  double roofline_pct = 0;
  std::array<double, 2> roofline_quartiles_pct = {0, 0};
  double roofline_peak_pct = 0;  // weight_bytes_per_token * tg tok/s / bandwidth_gbps
};

// Loads the model and runs every enabled test; an Error when the model cannot be loaded or a
// forward pass fails (e.g. the lengths exceed what the KV cache can hold).
Result<EngineBenchReport> run_engine_bench(const EngineBenchOptions& options);

// {"pp":{"n","tps","stddev"},"tg":{...},"batched":[{"seqs","tps","decode_tps",...}],
//  "bandwidth_gbps","bandwidth_median_gbps","roofline_pct","roofline_quartiles_pct","roofline_peak_pct",
//  "model","threads","isa",...}
nlohmann::json engine_report_json(const EngineBenchReport& report);

// A human-readable Markdown table of the report.
std::string engine_report_table(const EngineBenchReport& report);

}  // namespace tachyon::bench
