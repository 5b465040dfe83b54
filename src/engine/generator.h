#pragma once
// Generates one sequence to completion: prompt prefill, then sample / decode / stop-check per
// token. The single-sequence path used by `tachyon run`; the serving engine drives the same
// model forward with many sequences per step.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model_bundle.h"
#include "kv/kv_cache.h"
#include "sampling/sampler.h"
#include "util/thread_pool.h"

namespace tachyon {

enum class FinishReason { Stop, Length };

struct GenerationRequest {
  std::vector<int32_t> prompt;  // token ids, BOS included when the model wants one
  SamplingParams sampling;
  int32_t max_tokens = 128;
  std::vector<std::string> stop;
  bool ignore_eos = false;
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (a stop string's tokens included)
  std::vector<SampledToken> sampled;
  std::string text;             // generated text, stop string removed
  FinishReason finish = FinishReason::Length;
};

// on_text receives text as soon as it can no longer become part of a stop string.
Result<GenerationResult> generate(const ModelBundle& bundle, KvCache& kv, int32_t seq_id, ThreadPool& pool,
                                  const GenerationRequest& request,
                                  const std::function<void(std::string_view)>& on_text);

}  // namespace tachyon
