// `tachyon bench engine ...`: forward-pass speed, `bench matmul`: decode matmuls against the
// read bandwidth, and `bench speculative`: speculative decoding; no HTTP (`bench serve` is in cmd_bench_serve.cpp).
// Wiring only; the measurements live in src/bench.
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "bench/engine_bench.h"
#include "bench/matmul_bench.h"
#include "bench/speculative_bench.h"

namespace tachyon::app {
namespace {

// A report: to `path` as JSON if one was asked for, and to stdout as one JSON object (`json`)
// or as the table.
void emit_report(const nlohmann::json& j, const std::string& table, bool json, const std::string& path) {
  if (!path.empty()) {
    std::ofstream out(path);
    out << j.dump(2) << "\n";
    if (!out) fail(fmt::format("cannot write {}", path));
  }
  if (json)
    fmt::print("{}\n", j.dump());
  else
    fmt::print("{}", table);
}

void add_engine_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("engine", "Prompt processing, generation and batched speed of the engine");
  struct Opts {
    bench::EngineBenchOptions bench;
    std::string kv_type = "f16", out, device = "cpu";
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
  add_kv_type_option(*cmd, o->kv_type);
  add_device_option(*cmd, o->device);
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_option("--out", o->out, "Also write the JSON object to this file");
  cmd->callback([o] {
    o->bench.kv_type = kv_dtype_or_fail(o->kv_type);
    o->bench.device = device_or_fail(o->device);
    o->bench.bandwidth_bytes = o->bandwidth_mib << 20;
    if (o->bench.model_path.empty()) o->bench.model_path = default_model_path();
    o->bench.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    auto report = bench::run_engine_bench(o->bench);
    if (!report) fail(report.error().message);
    emit_report(bench::engine_report_json(*report), bench::engine_report_table(*report), o->json, o->out);
  });
}

void add_matmul_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("matmul", "Decode matmuls (one token) by shape, against the read bandwidth around them");
  struct Opts {
    bench::MatmulBenchOptions bench;
    std::string type = "q4_0";
    std::vector<std::string> shapes;
    size_t mib_per_shape = 256;
    std::string out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--type", o->type, "Weight type with a packed kernel: q8_0, q4_0, q4_k, q5_k, q6_k, f16, bf16")
      ->capture_default_str();
  cmd->add_option("--shape", o->shapes,
                  "One call's matrices, name=ROWSxCOLS[+ROWSxCOLS...] (repeatable; default: a TinyLlama-1.1B layer)");
  cmd->add_option("--mib", o->mib_per_shape, "Weight copies per shape, at least this many MiB")->capture_default_str();
  cmd->add_option("--rounds", o->bench.rounds, "Rounds; each runs every shape once between two read passes")
      ->capture_default_str();
  cmd->add_option("-t,--threads", o->bench.threads, "Threads (default: all cores)");
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_option("--out", o->out, "Also write the JSON object to this file");
  cmd->callback([o] {
    const auto type = ggml_type_from_name(o->type);
    if (!type) fail(fmt::format("unknown type '{}'", o->type));
    o->bench.type = *type;
    if (!o->shapes.empty()) {
      o->bench.shapes.clear();
      for (const std::string& text : o->shapes) {
        auto shape = bench::parse_matmul_shape(text);
        if (!shape) fail(shape.error().message);
        o->bench.shapes.push_back(*shape);
      }
    }
    o->bench.bytes_per_shape = o->mib_per_shape << 20;
    auto report = bench::run_matmul_bench(o->bench, [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
    if (!report) fail(report.error().message);
    emit_report(bench::matmul_report_json(*report), bench::matmul_report_table(*report), o->json, o->out);
  });
}

void add_speculative_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("speculative", "Speculative decoding (prompt lookup or a draft model) against plain decoding");
  struct Opts {
    bench::SpeculativeBenchOptions bench;
    std::string out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->bench.model_path, "GGUF model (default: the bundled model)");
  cmd->add_option("-n,--max-tokens", o->bench.max_tokens, "Tokens generated per request")->capture_default_str();
  cmd->add_option("--draft-tokens", o->bench.drafting.max_draft, "Draft tokens per step at most")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--draft-model", o->bench.draft_model_path,
                  "Draft with this model (same vocabulary) instead of prompt lookup")
      ->check(CLI::ExistingFile);
  cmd->add_option("--min-ngram", o->bench.drafting.min_ngram, "Shortest recurring suffix that proposes a draft")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("-t,--threads", o->bench.threads, "Threads (default: all cores)");
  cmd->add_option("--reps", o->bench.reps, "Timed runs per workload and mode, after one warm-up")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_option("--out", o->out, "Also write the JSON object to this file");
  cmd->callback([o] {
    if (o->bench.model_path.empty()) o->bench.model_path = default_model_path();
    o->bench.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    auto report = bench::run_speculative_bench(o->bench);
    if (!report) fail(report.error().message);
    emit_report(bench::speculative_report_json(*report), bench::speculative_report_table(*report), o->json, o->out);
  });
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks: the engine alone, or servers over HTTP");
  bench->require_subcommand(1);
  add_engine_subcommand(*bench);
  add_matmul_subcommand(*bench);
  add_speculative_subcommand(*bench);
#ifdef TACHYON_SERVER
  add_bench_serve_subcommand(*bench);
  add_bench_usage_subcommand(*bench);
  add_bench_search_subcommand(*bench);
#endif
}

}  // namespace tachyon::app
