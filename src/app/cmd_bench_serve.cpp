// `tachyon bench serve ...`: the load generator for any OpenAI-compatible server. Wiring only; the
// measurements live in src/bench.
#include <chrono>

#include <fmt/format.h>

#include "app/commands.h"
#include "bench/serve_bench.h"
#include "bench/serve_report.h"

namespace tachyon::app {

void add_bench_serve_subcommand(CLI::App& bench) {
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

}  // namespace tachyon::app
