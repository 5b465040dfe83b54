// `tachyon bench engine ...` (forward-pass speed, no HTTP) and `tachyon bench serve ...` (load
// generator for any OpenAI-compatible server). Wiring only; the measurements live in src/bench.
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/engine_bench.h"
#include "bench/serve_bench.h"
#include "bench/serve_report.h"

namespace tachyon::app {
namespace {

void add_engine_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("engine", "Prompt processing, generation and batched speed of the engine");
  struct Opts {
    bench::EngineBenchOptions bench;
    std::string kv_type = "f16", out;
    size_t bandwidth_mib = 1024;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->bench.model_path, "GGUF model (default: the bundled model)");
  cmd->add_option("--pp", o->bench.n_prompt, "Prompt tokens of the prompt-processing test (0 skips)")->capture_default_str();
  cmd->add_option("--tg", o->bench.n_gen, "Tokens of the generation test (0 skips)")->capture_default_str();
  cmd->add_option("--batch", o->bench.batch_sizes, "Sequence counts of the batched test")->delimiter(',')->capture_default_str();
  cmd->add_option("--batch-prompt", o->bench.batch_prompt, "Prompt tokens per sequence, batched test")->capture_default_str();
  cmd->add_option("--batch-gen", o->bench.batch_gen, "Generated tokens per sequence, batched test")->capture_default_str();
  cmd->add_option("-t,--threads", o->bench.threads, "Threads (default: all cores)");
  cmd->add_option("--reps", o->bench.reps, "Timed runs per test, after one warm-up")->capture_default_str();
  cmd->add_option("--bandwidth-mib", o->bandwidth_mib, "Buffer of the memory bandwidth test (0 skips)")->capture_default_str();
  cmd->add_option("--kv-type", o->kv_type, "KV cache type: f16 | f32")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_option("--out", o->out, "Also write the JSON object to this file");
  cmd->callback([o] {
    if (o->kv_type != "f16" && o->kv_type != "f32") fail("--kv-type must be f16 or f32");
    o->bench.kv_type = o->kv_type == "f32" ? KvDType::F32 : KvDType::F16;
    o->bench.bandwidth_bytes = o->bandwidth_mib << 20;
    if (o->bench.model_path.empty()) o->bench.model_path = default_model_path();
    o->bench.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    auto report = bench::run_engine_bench(o->bench);
    if (!report) fail(report.error().message);
    const auto j = bench::engine_report_json(*report);
    if (!o->out.empty()) {
      std::ofstream out(o->out);
      out << j.dump(2) << "\n";
      if (!out) fail(fmt::format("cannot write {}", o->out));
    }
    if (o->json)
      fmt::print("{}\n", j.dump());
    else
      fmt::print("{}", bench::engine_report_table(*report));
  });
}

void add_serve_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("serve", "Load-test OpenAI-compatible servers (single-stream, Poisson, closed loop)");
  struct Opts {
    bench::ServeBenchOptions bench;
    std::string scenario = "both", endpoint = "chat", out_dir = "bench-results";
    double timeout_s = 600;
  };
  auto o = std::make_shared<Opts>();
  auto& b = o->bench;
  cmd->add_option("--base-url", b.base_urls, "Server base URL, e.g. http://127.0.0.1:8080 (repeat to compare)")->required();
  cmd->add_option("--model", b.client.model, "Model name sent in each request");
  cmd->add_option("--api-key", b.client.api_key, "Bearer token sent in each request");
  cmd->add_option("--endpoint", o->endpoint, "chat | completions")->capture_default_str();
  cmd->add_option("--scenario", o->scenario, "single | server | both")->capture_default_str();
  cmd->add_option("--rates", b.rates, "Request rates (req/s) of the server scenario")->delimiter(',')->capture_default_str();
  cmd->add_option("--concurrency", b.concurrency, "Also run closed-loop clients at these counts")->delimiter(',');
  cmd->add_option("--requests", b.requests, "Requests per measurement")->capture_default_str();
  cmd->add_option("--duration", b.duration_s, "Stop sending after this many seconds (0: no limit)")->capture_default_str();
  cmd->add_option("--prompt-tokens", b.lengths.mean_prompt_tokens, "Mean prompt length")->capture_default_str();
  cmd->add_option("--output-tokens", b.lengths.mean_output_tokens, "Mean output length")->capture_default_str();
  cmd->add_option("--length-scale", b.lengths.length_scale, "Multiplies both mean lengths")->capture_default_str();
  cmd->add_option("--max-context", b.lengths.max_context, "Prompt + output never exceed this")->capture_default_str();
  cmd->add_option("--dataset", b.dataset, "JSONL of {\"prompt\": ..., \"output_tokens\": N} instead of synthetic prompts");
  cmd->add_option("--min-stream-tps", b.min_stream_tps, "Per-stream decode speed floors for the throughput table")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--seed", b.seed, "Seed of lengths, prompts and arrivals")->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "Seconds one request may take")->capture_default_str();
  cmd->add_option("--out-dir", o->out_dir, "Where results.json, results.md and the SVG charts go")->capture_default_str();
  cmd->callback([o] {
    auto& b = o->bench;
    if (o->scenario != "single" && o->scenario != "server" && o->scenario != "both")
      fail("--scenario must be single, server or both");
    if (o->endpoint != "chat" && o->endpoint != "completions") fail("--endpoint must be chat or completions");
    if (!(o->timeout_s > 0)) fail("--timeout must be positive");
    b.single = o->scenario != "server";
    b.server = o->scenario != "single";
    b.client.endpoint = o->endpoint == "chat" ? bench::Endpoint::Chat : bench::Endpoint::Completions;
    b.client.timeout = std::chrono::milliseconds(int64_t(o->timeout_s * 1000));
    b.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    auto points = bench::run_serve_bench(b);
    if (!points) fail(points.error().message);
    fmt::print("{}", bench::serve_report_markdown(b, *points));
    if (Status s = bench::write_serve_report(b, *points, o->out_dir); !s) fail(s.error().message);
    fmt::print(stderr, "results written to {}/\n", o->out_dir);
  });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks: the engine alone, or servers over HTTP");
  bench->require_subcommand(1);
  add_engine_subcommand(*bench);
  add_serve_subcommand(*bench);
  add_bench_usage_subcommand(*bench);
}

}  // namespace tachyon::app
