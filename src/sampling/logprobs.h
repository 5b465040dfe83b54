#pragma once
// Log-probabilities of the model's raw distribution (log-softmax of the processed logits), as
// the OpenAI logprobs / top_logprobs fields report them.
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon {

// One token and its log-probability.
struct TokenLogprob {
  int32_t token;
  float logprob;
};

// log(sum_i exp(logits[i])), accumulated in double with the max subtracted first. -inf when
// every logit is -inf (all banned); NaN logits are skipped.
double log_sum_exp(std::span<const float> logits);

// The n most likely tokens as {token, logits[token] - log_sum}, best first; equal logits list
// the lower id first.
std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, int32_t n, double log_sum);

}  // namespace tachyon
