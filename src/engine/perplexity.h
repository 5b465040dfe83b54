#pragma once
// Perplexity of a text under a model, with one fixed protocol so that other frameworks can
// reproduce the figure: the text's tokens (no BOS) are cut into consecutive chunks of n_ctx - 1
// tokens (a shorter tail is dropped); each chunk is evaluated after a BOS in one forward pass,
// and every one of its tokens is scored. ppl = exp(mean negative log-likelihood).
#include <functional>
#include <span>

#include "engine/model_bundle.h"
#include "util/thread_pool.h"

namespace tachyon {

struct PerplexityResult {
  double ppl = 0;
  size_t n_chunks = 0;
  size_t n_tokens_scored = 0;
};

// on_chunk(chunk index, running ppl) is called after each chunk (may be empty).
Result<PerplexityResult> perplexity(const ModelBundle& bundle, std::span<const int32_t> tokens, int32_t n_ctx,
                                    ThreadPool& pool, const std::function<void(size_t, double)>& on_chunk = {});

}  // namespace tachyon
