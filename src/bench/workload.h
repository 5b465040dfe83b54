#pragma once
// The requests a serving benchmark sends: prompt texts and target output lengths, drawn from a
// seeded distribution or read from a JSONL file, and the arrival times of the "server" scenario.
// Everything is deterministic for a given seed, so every target of one run sees the same load.
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace tachyon::bench {

// One request to send: the prompt text and how many tokens to ask for.
struct RequestSpec {
  std::string prompt;
  int32_t prompt_tokens = 0;  // the intended prompt length (about one token per word)
  int32_t output_tokens = 0;  // max_tokens, with ignore_eos so the server generates all of them
};

// Shape of the synthetic workload: lognormal lengths whose means are the scaled targets.
struct LengthDistribution {
  double mean_prompt_tokens = 700;
  double mean_output_tokens = 550;
  double length_scale = 1.0;   // multiplies both means (small models have small contexts)
  double sigma = 0.35;         // log-space spread of each length
  int32_t max_context = 2048;  // prompt + output + template overhead never exceeds this
  int32_t template_overhead = 32;  // tokens a chat template may add around the prompt
};

struct LengthPair {
  int32_t prompt_tokens = 0;
  int32_t output_tokens = 0;
};

// n seeded draws from the distribution; every pair has both lengths >= 1 and
// prompt + output + template_overhead <= max_context (pairs past it are shrunk proportionally).
std::vector<LengthPair> sample_lengths(const LengthDistribution& dist, int32_t n, uint64_t seed);

// Text of n_words ordinary English words separated by spaces (about one token per word with any
// subword tokenizer), varied by the seed so that no two prompts share a long prefix.
std::string make_prompt_text(int32_t n_words, uint64_t seed);

// Seeded synthetic requests: sample_lengths plus make_prompt_text for each.
std::vector<RequestSpec> synthetic_requests(const LengthDistribution& dist, int32_t n, uint64_t seed);

// Requests from a JSONL file of {"prompt": "...", "output_tokens": N} lines (blank lines skipped);
// prompt_tokens is estimated as the word count. An Error names the file and line at fault.
Result<std::vector<RequestSpec>> load_dataset(const std::string& path);

// Arrival offsets in seconds of a Poisson process with the given rate (requests/s): exponential
// gaps, seeded. Stops at max_count arrivals (when > 0) or at max_duration_s (when > 0), whichever
// comes first; at least one bound must be positive.
std::vector<double> poisson_arrivals(double rate, int32_t max_count, double max_duration_s, uint64_t seed);

}  // namespace tachyon::bench
