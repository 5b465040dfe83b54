#pragma once
// `bench speculative`: what speculative decoding (prompt lookup, or a draft model) buys on workloads where it should
// pay (an answer that quotes its context, code being edited) and where it should not (free
// text). Each workload runs through the serving engine with the request opting out and in,
// alternated, on one engine; the report gives generation speed both ways, their ratio, the
// share of drafted tokens accepted, and whether the two outputs were the same token for token
// (they must be). Call from one thread.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/stats.h"
#include "engine/prompt_lookup.h"
#include "util/result.h"

namespace tachyon::bench {

struct SpeculativeWorkload {
  std::string name;
  std::string prompt;
  bool should_pay = false;  // the answer repeats the prompt or itself
};

// quote (a passage, then the request to repeat it), code-edit (a function, then the same
// function with one name changed) and free (a story opening with nothing to copy).
std::vector<SpeculativeWorkload> default_speculative_workloads();

struct SpeculativeBenchOptions {
  std::string model_path;
  std::vector<SpeculativeWorkload> workloads = default_speculative_workloads();
  int32_t max_tokens = 128;  // generated per request (end-of-generation ignored)
  PromptLookupConfig drafting;  // draft length and n-gram sizes
  std::string draft_model_path;  // drafts from this model instead of prompt lookup
  int threads = 0;           // 0: every core
  int reps = 3;              // timed runs per workload and mode, after one warm-up of each
  std::function<void(const std::string&)> progress;
};

struct SpeculativeResult {
  std::string name;
  bool should_pay = false;
  int32_t n_prompt = 0;
  int32_t n_generated = 0;
  MeanStddev plain_tps;        // generated tokens per second after the first token
  MeanStddev speculative_tps;
  double speedup = 0;          // speculative / plain, mean of the per-round ratios
  int64_t drafted = 0;         // per run
  int64_t accepted = 0;
  int64_t steps_plain = 0;     // forward steps of one run
  int64_t steps_speculative = 0;
  bool identical = false;      // same tokens with and without drafts, every run
};

struct SpeculativeBenchReport {
  std::string model_path;
  std::string isa;
  int threads = 0;
  int reps = 0;
  PromptLookupConfig drafting;
  std::string draft_model_path;  // empty: prompt lookup
  std::vector<SpeculativeResult> results;
};

Result<SpeculativeBenchReport> run_speculative_bench(const SpeculativeBenchOptions& options);
nlohmann::json speculative_report_json(const SpeculativeBenchReport& report);
std::string speculative_report_table(const SpeculativeBenchReport& report);

}  // namespace tachyon::bench
