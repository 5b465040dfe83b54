#include "engine/perplexity.h"

#include <cmath>


namespace tachyon {

Result<PerplexityResult> perplexity(const ModelBundle& bundle, std::span<const int32_t> tokens, int32_t n_ctx,
                                    ThreadPool& pool, const std::function<void(size_t, double)>& on_chunk) {
  if (bundle.is_encoder()) return make_error("{} is an embedding model: it has no perplexity", bundle.path);
  const Tokenizer& tok = *bundle.tokenizer;
  if (tok.bos_id() < 0) return make_error("perplexity: the model has no BOS token");
  if (n_ctx < 2) return make_error("perplexity: the context must hold at least 2 tokens");
  const size_t chunk = size_t(n_ctx) - 1;
  PerplexityResult result;
  result.n_chunks = tokens.size() / chunk;
  if (result.n_chunks == 0)
    return make_error("perplexity: the text has {} tokens, fewer than one chunk of {}", tokens.size(), chunk);

  const ForwardPass& model = bundle.forward();
  const int64_t V = model.hparams().n_vocab;
  auto kv_or = model.make_contiguous_kv(model.kv_shape(KvDType::F16), 1, n_ctx);
  if (!kv_or) return kv_or.error();
  KvCache& kv = **kv_or;
  std::vector<float> logits;
  double nll = 0;
  for (size_t c = 0; c < result.n_chunks; ++c) {
    const std::span<const int32_t> text = tokens.subspan(c * chunk, chunk);
    Batch batch;
    batch.add(tok.bos_id(), 0, 0, true);
    for (size_t i = 0; i < chunk; ++i) batch.add(text[i], int32_t(i + 1), 0, i + 1 < chunk);
    kv.clear(0);
    Status s = model.forward(batch, kv, pool, logits);
    if (!s) return s.error();
    // Row i holds the prediction of text[i].
    for (size_t i = 0; i < chunk; ++i) {
      const float* row = &logits[i * V];
      float mx = row[0];
      for (int64_t j = 1; j < V; ++j) mx = std::max(mx, row[j]);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(row[j]) - mx);
      nll += double(mx) + std::log(sum) - row[text[i]];
    }
    result.n_tokens_scored += chunk;
    if (on_chunk) on_chunk(c, std::exp(nll / double(result.n_tokens_scored)));
  }
  result.ppl = std::exp(nll / double(result.n_tokens_scored));
  return result;
}

}  // namespace tachyon
