#include "sampling/sampling_params.h"

#include <cmath>

namespace tachyon {
namespace {

// Written so that NaN fails: every comparison with NaN is false.
bool in_closed_range(float x, float lo, float hi) { return x >= lo && x <= hi; }

}  // namespace

Status validate(const SamplingParams& params) {
  if (!in_closed_range(params.temperature, 0.0f, 2.0f)) {
    return make_error("temperature must be in [0, 2], got {}", params.temperature);
  }
  if (params.top_k < 0) {
    return make_error("top_k must be >= 0 (0 disables it), got {}", params.top_k);
  }
  if (!(params.top_p > 0.0f && params.top_p <= 1.0f)) {
    return make_error("top_p must be in (0, 1], got {}", params.top_p);
  }
  if (!in_closed_range(params.min_p, 0.0f, 1.0f)) {
    return make_error("min_p must be in [0, 1], got {}", params.min_p);
  }
  if (!(params.repetition_penalty > 0.0f && std::isfinite(params.repetition_penalty))) {
    return make_error("repetition_penalty must be a finite number > 0, got {}",
                      params.repetition_penalty);
  }
  if (!in_closed_range(params.frequency_penalty, -2.0f, 2.0f)) {
    return make_error("frequency_penalty must be in [-2, 2], got {}", params.frequency_penalty);
  }
  if (!in_closed_range(params.presence_penalty, -2.0f, 2.0f)) {
    return make_error("presence_penalty must be in [-2, 2], got {}", params.presence_penalty);
  }
  if (params.penalty_last_n < -1) {
    return make_error("penalty_last_n must be >= -1 (-1 = whole context), got {}",
                      params.penalty_last_n);
  }
  for (const auto& [token, bias] : params.logit_bias) {
    if (token < 0) {
      return make_error("logit_bias token id must be >= 0, got {}", token);
    }
    if (!in_closed_range(bias, -100.0f, 100.0f)) {
      return make_error("logit_bias value for token {} must be in [-100, 100], got {}", token,
                        bias);
    }
  }
  if (params.n_top_logprobs < 0 || params.n_top_logprobs > kMaxTopLogprobs) {
    return make_error("top_logprobs must be in [0, {}], got {}", kMaxTopLogprobs,
                      params.n_top_logprobs);
  }
  if (params.n_top_logprobs > 0 && !params.logprobs) {
    return make_error("top_logprobs requires logprobs to be true");
  }
  return Status::success();
}

Status validate(const SamplingParams& params, int32_t n_vocab) {
  if (Status status = validate(params); !status) return status;
  for (const auto& [token, bias] : params.logit_bias) {
    if (token >= n_vocab) {
      return make_error("logit_bias token id {} is outside the vocabulary (size {})", token,
                        n_vocab);
    }
  }
  return Status::success();
}

}  // namespace tachyon
