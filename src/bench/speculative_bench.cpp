#include "bench/speculative_bench.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "kernels/isa.h"

namespace tachyon::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  std::vector<int32_t> tokens;
  double tps = 0;  // tokens after the first, over the time after the first
  uint64_t drafted = 0, accepted = 0, steps = 0;
};

Result<Run> run_once(Engine& engine, const std::vector<int32_t>& prompt, int32_t max_tokens, bool speculative) {
  EngineRequest request;
  request.prompt = prompt;
  request.max_tokens = max_tokens;
  request.ignore_eos = true;
  request.sampling.temperature = 0.0f;
  request.speculative = speculative;
  const EngineStats before = engine.stats();
  Run run;
  Clock::time_point first, last;
  std::promise<std::optional<Error>> done;
  auto id = engine.submit(std::move(request), [&](EngineEvent&& e) {
    const auto now = Clock::now();
    for (const SampledToken& t : e.tokens) {
      if (run.tokens.empty()) first = now;
      run.tokens.push_back(t.token);
      last = now;
    }
    if (e.finished) done.set_value(e.error);
  });
  if (!id) return id.error();
  if (std::optional<Error> error = done.get_future().get()) return *error;
  const EngineStats after = engine.stats();
  const double seconds = std::chrono::duration<double>(last - first).count();
  if (run.tokens.size() > 1 && seconds > 0) run.tps = double(run.tokens.size() - 1) / seconds;
  run.drafted = after.draft_tokens - before.draft_tokens;
  run.accepted = after.accepted_tokens - before.accepted_tokens;
  run.steps = after.steps - before.steps;
  return run;
}

}  // namespace

std::vector<SpeculativeWorkload> default_speculative_workloads() {
  const std::string passage =
      "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in "
      "want of a wife. However little known the feelings or views of such a man may be on his first entering a "
      "neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered "
      "the rightful property of some one or other of their daughters.";
  const std::string code =
      "int count_words(const char* text) {\n"
      "  int total = 0;\n"
      "  bool in_word = false;\n"
      "  for (const char* p = text; *p != '\\0'; ++p) {\n"
      "    if (*p == ' ' || *p == '\\n') {\n"
      "      in_word = false;\n"
      "    } else if (!in_word) {\n"
      "      in_word = true;\n"
      "      ++total;\n"
      "    }\n"
      "  }\n"
      "  return total;\n"
      "}\n";
  return {
      {"quote", "Passage:\n\n" + passage + "\n\nQuote the passage exactly.\n\n" + passage.substr(0, 40), true},
      {"code-edit", code + "\nThe same function with `total` renamed to `words`:\n\nint count_words(const char* text) {\n  int words = 0;\n", true},
      {"free", "Once upon a time, in a village at the edge of a great forest, there lived", false},
  };
}

Result<SpeculativeBenchReport> run_speculative_bench(const SpeculativeBenchOptions& o) {
  auto loaded = load_model_bundle(o.model_path);
  if (!loaded) return loaded.error();
  const std::shared_ptr<const ModelBundle> bundle = std::move(*loaded);
  EngineConfig config;
  config.n_threads = o.threads;
  config.kv_memory_mib = 256;
  config.speculative = o.drafting;
  if (!o.draft_model_path.empty()) {
    auto draft = load_model_bundle(o.draft_model_path);
    if (!draft) return draft.error();
    config.draft_model = std::move(*draft);
  }
  auto engine = Engine::create(bundle, config);
  if (!engine) return engine.error();
  const Tokenizer& tokenizer = *bundle->tokenizer;

  SpeculativeBenchReport report;
  report.model_path = o.model_path;
  report.isa = std::string(isa_name(active_isa()));
  report.threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  report.reps = o.reps;
  report.drafting = o.drafting;
  report.draft_model_path = o.draft_model_path;
  for (const SpeculativeWorkload& w : o.workloads) {
    const std::vector<int32_t> prompt = tokenizer.encode(w.prompt, true, false);
    const int32_t max_tokens = std::min(o.max_tokens, (*engine)->n_ctx() - int32_t(prompt.size()));
    if (max_tokens < 2) return make_error("workload {}: the prompt ({} tokens) leaves no room in the {}-token context", w.name, prompt.size(), (*engine)->n_ctx());
    SpeculativeResult result;
    result.name = w.name;
    result.should_pay = w.should_pay;
    result.n_prompt = int32_t(prompt.size());
    result.identical = true;
    std::vector<double> plain, fast, ratios;
    // One warm-up of each mode, then alternate so that drift hits both alike.
    for (int rep = -1; rep < o.reps; ++rep) {
      auto a = run_once(**engine, prompt, max_tokens, false);
      if (!a) return a.error();
      auto b = run_once(**engine, prompt, max_tokens, true);
      if (!b) return b.error();
      result.identical = result.identical && a->tokens == b->tokens;
      result.n_generated = int32_t(a->tokens.size());
      result.drafted = int64_t(b->drafted);
      result.accepted = int64_t(b->accepted);
      result.steps_plain = int64_t(a->steps);
      result.steps_speculative = int64_t(b->steps);
      if (rep < 0) continue;
      plain.push_back(a->tps);
      fast.push_back(b->tps);
      if (a->tps > 0) ratios.push_back(b->tps / a->tps);
    }
    result.plain_tps = mean_stddev(plain);
    result.speculative_tps = mean_stddev(fast);
    result.speedup = mean_stddev(ratios).mean;
    if (o.progress)
      o.progress(fmt::format("{}: {:.1f} -> {:.1f} tok/s ({:.2f}x), {} of {} drafted tokens accepted{}", w.name,
                             result.plain_tps.mean, result.speculative_tps.mean, result.speedup, result.accepted,
                             result.drafted, result.identical ? "" : ", OUTPUTS DIFFER"));
    report.results.push_back(std::move(result));
  }
  return report;
}

nlohmann::json speculative_report_json(const SpeculativeBenchReport& r) {
  nlohmann::json results = nlohmann::json::array();
  for (const SpeculativeResult& x : r.results) {
    results.push_back({{"workload", x.name},
                       {"should_pay", x.should_pay},
                       {"prompt_tokens", x.n_prompt},
                       {"generated_tokens", x.n_generated},
                       {"plain_tps", x.plain_tps.mean},
                       {"plain_tps_stddev", x.plain_tps.stddev},
                       {"speculative_tps", x.speculative_tps.mean},
                       {"speculative_tps_stddev", x.speculative_tps.stddev},
                       {"speedup", x.speedup},
                       {"drafted", x.drafted},
                       {"accepted", x.accepted},
                       {"acceptance", x.drafted > 0 ? double(x.accepted) / double(x.drafted) : 0.0},
                       {"steps_plain", x.steps_plain},
                       {"steps_speculative", x.steps_speculative},
                       {"identical", x.identical}});
  }
  return {{"model", r.model_path},
          {"isa", r.isa},
          {"threads", r.threads},
          {"reps", r.reps},
          {"max_draft", r.drafting.max_draft},
          {"max_ngram", r.drafting.max_ngram},
          {"min_ngram", r.drafting.min_ngram},
          {"draft_model", r.draft_model_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.draft_model_path)},
          {"results", results}};
}

std::string speculative_report_table(const SpeculativeBenchReport& r) {
  const std::string method =
      r.draft_model_path.empty()
          ? fmt::format("prompt lookup of {}- to {}-grams", r.drafting.min_ngram, r.drafting.max_ngram)
          : fmt::format("draft model {}", r.draft_model_path);
  std::string out = fmt::format("speculative decoding ({}, up to {} draft tokens), {}, {} reps\n\n", method,
                                r.drafting.max_draft, r.isa, r.reps);
  out += "| workload | plain tok/s | speculative tok/s | speedup | accepted / drafted | steps plain / speculative | same tokens |\n";
  out += "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const SpeculativeResult& x : r.results) {
    out += fmt::format("| {} | {:.1f} ± {:.1f} | {:.1f} ± {:.1f} | {:.2f}x | {} / {} | {} / {} | {} |\n", x.name,
                       x.plain_tps.mean, x.plain_tps.stddev, x.speculative_tps.mean, x.speculative_tps.stddev, x.speedup,
                       x.accepted, x.drafted, x.steps_plain, x.steps_speculative, x.identical ? "yes" : "NO");
  }
  return out;
}

}  // namespace tachyon::bench
