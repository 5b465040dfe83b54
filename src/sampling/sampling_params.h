#pragma once
// Per-request sampling settings, as the OpenAI API (plus the common vLLM/llama.cpp extensions)
// exposes them. A plain value: the API layer fills it, validate() checks it, a Sampler uses it.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "util/result.h"

namespace tachyon {

// Neutral defaults: temperature 1 with every truncation and penalty off samples the model's
// distribution unchanged.
struct SamplingParams {
  float temperature = 1.0f;  // 0 => greedy (argmax, lowest id wins ties)
  int32_t top_k = 0;         // 0 = off
  float top_p = 1.0f;        // 1 = off
  float min_p = 0.0f;        // 0 = off
  // CTRL style, as llama.cpp: a seen token's logit l becomes l > 0 ? l / p : l * p.
  float repetition_penalty = 1.0f;
  float frequency_penalty = 0.0f;  // OpenAI: logit -= count * frequency_penalty
  float presence_penalty = 0.0f;   // OpenAI: logit -= (count > 0) * presence_penalty
  // Window over prompt + generated tokens that all three penalties count; -1 = whole context.
  int32_t penalty_last_n = 64;
  // Added to the raw logits; a bias of -100 or less bans the token outright (logit = -inf).
  std::vector<std::pair<int32_t, float>> logit_bias;
  std::optional<uint64_t> seed;  // none => a random seed drawn from std::random_device
  int32_t n_top_logprobs = 0;    // 0..20 alternatives reported (OpenAI top_logprobs)
  bool logprobs = false;
};

// Largest n_top_logprobs accepted, as OpenAI.
inline constexpr int32_t kMaxTopLogprobs = 20;

// Checks every field against the ranges OpenAI and vLLM enforce; the error names the offending
// request field (OpenAI spelling, e.g. "top_logprobs"). Pure, callable from any thread.
Status validate(const SamplingParams& params);

// validate() plus the checks that need the model: every logit_bias token id is in [0, n_vocab).
Status validate(const SamplingParams& params, int32_t n_vocab);

}  // namespace tachyon
