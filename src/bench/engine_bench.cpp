#include "bench/engine_bench.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/memory_bandwidth.h"
#include "kernels/isa.h"
#include "model/load_model.h"

namespace tachyon::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int32_t argmax(const float* row, int64_t n) {
  return int32_t(std::max_element(row, row + n) - row);
}

// Model, pool, token source and scratch shared by the tests of one run.
class EngineRunner {
 public:
  EngineRunner(const ForwardPass& model, ThreadPool& pool, KvDType kv_type, uint64_t seed)
      : model_(model), pool_(pool), kv_type_(kv_type), rng_(seed),
        token_(0, int32_t(model.hparams().n_vocab - 1)) {}

  // One sequence of n tokens in one forward pass; returns seconds.
  Result<double> prompt_processing(int32_t n) {
    auto kv = model_.make_contiguous_kv(model_.kv_shape(kv_type_), 1, n);
    if (!kv) return kv.error();
    Batch batch;
    for (int32_t i = 0; i < n; ++i) batch.add(token_(rng_), i, 0, i == n - 1);
    const auto start = Clock::now();
    if (Status s = model_.forward(batch, **kv, pool_, logits_); !s) return s.error();
    return seconds_since(start);
  }

  // n_seqs sequences: their prompts in one forward pass, then n_gen greedy steps of one token per
  // sequence. Returns {prefill seconds, decode seconds}.
  Result<std::pair<double, double>> batched(int32_t n_seqs, int32_t n_prompt, int32_t n_gen) {
    auto kv = model_.make_contiguous_kv(model_.kv_shape(kv_type_), n_seqs, n_prompt + n_gen);
    if (!kv) return kv.error();
    const auto start = Clock::now();
    if (Status s = prefill(**kv, n_seqs, n_prompt); !s) return s.error();
    const double prefill_s = seconds_since(start);
    const auto decode_start = Clock::now();
    if (Status s = decode(**kv, n_seqs, n_prompt, n_gen); !s) return s.error();
    return std::pair{prefill_s, seconds_since(decode_start)};
  }

  // One sequence: one prompt token, then n_gen greedy single-token steps in blocks of `block`,
  // with between() run (untimed) before the first block and after every block. Returns each
  // block's seconds.
  Result<std::vector<double>> generation_blocks(int32_t n_gen, int32_t block, const std::function<void()>& between) {
    auto kv = model_.make_contiguous_kv(model_.kv_shape(kv_type_), 1, 1 + n_gen);
    if (!kv) return kv.error();
    if (Status s = prefill(**kv, 1, 1); !s) return s.error();
    std::vector<double> seconds;
    between();
    for (int32_t done = 0; done < n_gen; done += block) {
      const int32_t steps = std::min(block, n_gen - done);
      const auto start = Clock::now();
      if (Status s = decode(**kv, 1, 1 + done, steps); !s) return s.error();
      seconds.push_back(seconds_since(start));
      between();
    }
    return seconds;
  }

 private:
  // n_seqs random prompts of n_prompt tokens in one forward pass.
  Status prefill(KvCache& kv, int32_t n_seqs, int32_t n_prompt) {
    Batch batch;
    for (int32_t s = 0; s < n_seqs; ++s)
      for (int32_t i = 0; i < n_prompt; ++i) batch.add(token_(rng_), i, s, i == n_prompt - 1);
    return model_.forward(batch, kv, pool_, logits_);
  }

  // `steps` greedy steps of one token per sequence, the first at position `pos`.
  Status decode(KvCache& kv, int32_t n_seqs, int32_t pos, int32_t steps) {
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (int32_t step = 0; step < steps; ++step) {
      Batch next;
      for (int32_t s = 0; s < n_seqs; ++s) next.add(argmax(&logits_[size_t(s * n_vocab)], n_vocab), pos + step, s, true);
      if (Status st = model_.forward(next, kv, pool_, logits_); !st) return st;
    }
    return {};
  }

  const ForwardPass& model_;
  ThreadPool& pool_;
  KvDType kv_type_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<int32_t> token_;
  std::vector<float> logits_;
};

// Runs `once` (which returns a tokens/s sample) one untimed time and then `reps` times.
template <typename F>
Result<MeanStddev> repeat(int reps, F&& once) {
  std::vector<double> samples;
  for (int r = 0; r <= reps; ++r) {
    Result<double> tps = once();
    if (!tps) return tps.error();
    if (r > 0) samples.push_back(*tps);
  }
  return mean_stddev(samples);
}

// Tokens per block of the paired roofline: about a quarter of a second of decode on the CPUs
// at hand, short against the drift of a shared machine's bandwidth, long against one sample.
constexpr int32_t kRooflineBlock = 16;

// The generation test again, `reps` runs in blocks of kRooflineBlock tokens with one bandwidth
// sample before and after every block. A block's weight stream (bytes per token x tokens /
// seconds) over the mean of its two samples is its share of the roofline; the report keeps
// the median and quartiles over all blocks, and the median sample.
Status paired_roofline(EngineRunner& runner, ReadBandwidthProbe& probe, int32_t n_gen, int reps,
                       EngineBenchReport& report) {
  std::vector<double> shares, samples;
  for (int r = 0; r < reps; ++r) {
    std::vector<double> run_samples;
    // The first pass after a block of decode runs slower (about 10-20% here), the second at the
    // speed of passes back to back: a warm-up pass, then the sample.
    auto blocks = runner.generation_blocks(n_gen, kRooflineBlock, [&] {
      probe.sample();
      run_samples.push_back(probe.sample());
    });
    if (!blocks) return blocks.error();
    for (size_t b = 0; b < blocks->size(); ++b) {
      const int32_t tokens = std::min<int32_t>(kRooflineBlock, n_gen - int32_t(b) * kRooflineBlock);
      const double stream_gbps = double(report.weight_bytes_per_token) * tokens / (*blocks)[b] / 1e9;
      shares.push_back(100.0 * stream_gbps / ((run_samples[b] + run_samples[b + 1]) / 2));
    }
    samples.insert(samples.end(), run_samples.begin(), run_samples.end());
  }
  report.roofline_pct = percentile(shares, 50);
  report.roofline_quartiles_pct = {percentile(shares, 25), percentile(shares, 75)};
  report.bandwidth_median_gbps = percentile(samples, 50);
  return {};
}

void describe_weights(const GgufFile& file, bool tied, EngineBenchReport& report) {
  std::map<GgmlType, size_t> bytes_by_type;
  for (const auto& t : file.tensors()) {
    report.n_params += t.n_elements();
    bytes_by_type[t.type] += t.n_bytes;
    // Generating a token reads one row of an untied embedding table, all of every other tensor.
    if (t.name == "token_embd.weight" && !tied && !t.ne.empty())
      report.weight_bytes_per_token += ggml_row_size(t.type, t.ne[0]);
    else
      report.weight_bytes_per_token += t.n_bytes;
  }
  const auto most = std::max_element(bytes_by_type.begin(), bytes_by_type.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
  if (most != bytes_by_type.end()) report.weight_type = std::string(ggml_type_name(most->first));
}

}  // namespace

Result<EngineBenchReport> run_engine_bench(const EngineBenchOptions& o) {
  if (o.reps < 1) return make_error("reps must be at least 1");
  if (o.n_prompt < 0 || o.n_gen < 0 || o.batch_prompt < 1 || o.batch_gen < 1)
    return make_error("token counts must be positive");
  for (int32_t b : o.batch_sizes)
    if (b < 1) return make_error("batch sizes must be positive, got {}", b);
  auto file = GgufFile::open(o.model_path);
  if (!file) return file.error();
  auto model = load_model(*file);
  if (!model) return model.error();
  std::unique_ptr<ForwardPass> device_forward;
  if (o.device != Device::Cpu) {
    auto d = make_device_forward(**model, o.device);
    if (!d) return d.error();
    device_forward = std::move(*d);
  }
  const CpuModel& m = **model;
  const ForwardPass& forward = device_forward ? *device_forward : static_cast<const ForwardPass&>(m);

  ThreadPool pool(o.threads);
  EngineBenchReport report;
  report.model_path = o.model_path;
  report.model_name = m.hparams().name;
  report.isa = std::string(isa_name(active_isa()));
  report.device = forward.device_name();
  report.threads = pool.size();
  report.reps = o.reps;
  describe_weights(**file, m.tied_embeddings(), report);
  auto progress = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };

  EngineRunner runner(forward, pool, o.kv_type, o.seed);
  if (o.n_prompt > 0) {
    auto pp = repeat(o.reps, [&]() -> Result<double> {
      auto s = runner.prompt_processing(o.n_prompt);
      if (!s) return s.error();
      return o.n_prompt / *s;
    });
    if (!pp) return pp.error();
    report.pp = {o.n_prompt, *pp};
    progress(fmt::format("pp{}: {:.2f} ± {:.2f} tok/s", o.n_prompt, pp->mean, pp->stddev));
  }
  if (o.n_gen > 0) {
    // One prompt token, then n_gen single-token steps: llama-bench's tg test.
    auto tg = repeat(o.reps, [&]() -> Result<double> {
      auto s = runner.batched(1, 1, o.n_gen);
      if (!s) return s.error();
      return o.n_gen / s->second;
    });
    if (!tg) return tg.error();
    report.tg = {o.n_gen, *tg};
    progress(fmt::format("tg{}: {:.2f} ± {:.2f} tok/s", o.n_gen, tg->mean, tg->stddev));
  }
  for (int32_t n_seqs : o.batch_sizes) {
    std::vector<double> total, decode;
    for (int r = 0; r <= o.reps; ++r) {
      auto s = runner.batched(n_seqs, o.batch_prompt, o.batch_gen);
      if (!s) return s.error();
      if (r == 0) continue;
      const double tokens = double(n_seqs) * (o.batch_prompt + o.batch_gen);
      total.push_back(tokens / (s->first + s->second));
      decode.push_back(double(n_seqs) * o.batch_gen / s->second);
    }
    report.batched.push_back({n_seqs, o.batch_prompt, o.batch_gen, mean_stddev(total), mean_stddev(decode)});
    progress(fmt::format("batched {} x ({} + {}): {:.2f} tok/s total, {:.2f} tok/s decode", n_seqs,
                         o.batch_prompt, o.batch_gen, report.batched.back().tps.mean,
                         report.batched.back().decode_tps.mean));
  }
  if (o.bandwidth_bytes > 0 && o.device == Device::Cpu) {
    ReadBandwidthProbe probe(pool, o.bandwidth_bytes);
    if (!probe.ok()) return make_error("cannot allocate the {} MiB of the bandwidth test", o.bandwidth_bytes >> 20);
    for (int r = 0; r < 3; ++r) report.bandwidth_gbps = std::max(report.bandwidth_gbps, probe.sample());
    progress(fmt::format("memory read bandwidth: {:.1f} GB/s (best of 3 passes)", report.bandwidth_gbps));
    if (report.tg.tps.mean > 0) {
      report.roofline_peak_pct =
          100.0 * double(report.weight_bytes_per_token) * report.tg.tps.mean / (report.bandwidth_gbps * 1e9);
      if (Status s = paired_roofline(runner, probe, o.n_gen, o.reps, report); !s) return s.error();
      progress(fmt::format("tg roofline, paired blocks: {:.1f}% (quartiles {:.1f}-{:.1f}%), median pass {:.1f} GB/s",
                           report.roofline_pct, report.roofline_quartiles_pct[0], report.roofline_quartiles_pct[1],
                           report.bandwidth_median_gbps));
    }
  } else if (o.bandwidth_bytes > 0) {
    auto gbps = device_copy_bandwidth_gbps(o.device, o.bandwidth_bytes);
    if (!gbps) return gbps.error();
    report.bandwidth_gbps = report.bandwidth_median_gbps = *gbps;
    progress(fmt::format("device copy bandwidth (read + write): {:.1f} GB/s", report.bandwidth_gbps));
    if (report.bandwidth_gbps > 0)
      report.roofline_pct = report.roofline_peak_pct =
          100.0 * double(report.weight_bytes_per_token) * report.tg.tps.mean / (report.bandwidth_gbps * 1e9);
  }
  return report;
}

nlohmann::json engine_report_json(const EngineBenchReport& r) {
  using nlohmann::json;
  json batched = json::array();
  for (const auto& b : r.batched)
    batched.push_back({{"seqs", b.n_seqs},
                       {"prompt", b.n_prompt},
                       {"gen", b.n_gen},
                       {"tps", b.tps.mean},
                       {"stddev", b.tps.stddev},
                       {"decode_tps", b.decode_tps.mean},
                       {"decode_stddev", b.decode_tps.stddev}});
  return {
      {"model", r.model_path},
      {"model_name", r.model_name},
      {"weight_type", r.weight_type},
      {"n_params", r.n_params},
      {"weight_bytes_per_token", r.weight_bytes_per_token},
      {"isa", r.isa},
      {"device", r.device},
      {"threads", r.threads},
      {"reps", r.reps},
      {"pp", {{"n", r.pp.n_tokens}, {"tps", r.pp.tps.mean}, {"stddev", r.pp.tps.stddev}}},
      {"tg", {{"n", r.tg.n_tokens}, {"tps", r.tg.tps.mean}, {"stddev", r.tg.tps.stddev}}},
      {"batched", std::move(batched)},
      {"bandwidth_gbps", r.bandwidth_gbps},
      {"bandwidth_median_gbps", r.bandwidth_median_gbps},
      {"roofline_pct", r.roofline_pct},
      {"roofline_quartiles_pct", r.roofline_quartiles_pct},
      {"roofline_peak_pct", r.roofline_peak_pct},
  };
}

std::string engine_report_table(const EngineBenchReport& r) {
  std::string out = fmt::format("model: {} ({}, {} {:.1f} M params, {:.1f} MiB of weights per token)\n",
                                r.model_path, r.model_name, r.weight_type, r.n_params / 1e6,
                                r.weight_bytes_per_token / 1048576.0);
  out += fmt::format("device: {} | isa: {} | threads: {} | {} timed runs per test after one warm-up\n\n", r.device,
                     r.isa, r.threads, r.reps);
  out += "| test | tokens/s | ± stddev | decode tokens/s |\n|---|---:|---:|---:|\n";
  if (r.pp.n_tokens > 0) out += fmt::format("| pp{} | {:.2f} | {:.2f} | |\n", r.pp.n_tokens, r.pp.tps.mean, r.pp.tps.stddev);
  if (r.tg.n_tokens > 0) out += fmt::format("| tg{} | {:.2f} | {:.2f} | |\n", r.tg.n_tokens, r.tg.tps.mean, r.tg.tps.stddev);
  for (const auto& b : r.batched)
    out += fmt::format("| batched {} seq x ({} + {}) | {:.2f} | {:.2f} | {:.2f} ± {:.2f} |\n", b.n_seqs, b.n_prompt,
                       b.n_gen, b.tps.mean, b.tps.stddev, b.decode_tps.mean, b.decode_tps.stddev);
  if (r.bandwidth_gbps > 0 && r.device == "cpu")
    out += fmt::format(
        "\nmemory read bandwidth: best {:.1f} GB/s, median {:.1f} | tg roofline: {:.1f}% (paired blocks, quartiles "
        "{:.1f}-{:.1f}%); {:.1f}% of the best pass\n",
        r.bandwidth_gbps, r.bandwidth_median_gbps, r.roofline_pct, r.roofline_quartiles_pct[0],
        r.roofline_quartiles_pct[1], r.roofline_peak_pct);
  else if (r.bandwidth_gbps > 0)
    out += fmt::format("\ndevice copy bandwidth: {:.1f} GB/s | tg roofline: {:.1f}% of bandwidth\n", r.bandwidth_gbps,
                       r.roofline_pct);
  return out;
}

}  // namespace tachyon::bench
