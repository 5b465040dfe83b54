#include "engine/generator.h"

#include "frontend/stop_matcher.h"
#include "model/batch.h"
#include "tokenizer/incremental_decoder.h"

namespace tachyon {

Result<GenerationResult> generate(const ModelBundle& bundle, KvCache& kv, int32_t seq_id, ThreadPool& pool,
                                  const GenerationRequest& request,
                                  const std::function<void(std::string_view)>& on_text) {
  if (bundle.is_encoder()) return make_error("{} is an embedding model: it cannot generate text", bundle.path);
  const ForwardPass& model = bundle.forward();
  const Tokenizer& tokenizer = *bundle.tokenizer;
  if (request.prompt.empty()) return make_error("the prompt has no tokens");
  const int64_t n_ctx = model.hparams().n_ctx_train;
  if (int64_t(request.prompt.size()) >= n_ctx)
    return make_error("the prompt has {} tokens but the context holds {}", request.prompt.size(), n_ctx);

  GenerationResult result;
  Sampler sampler(request.sampling, int32_t(model.hparams().n_vocab));
  IncrementalDecoder decoder(tokenizer);
  StopMatcher stops(request.stop);
  std::vector<int32_t> history = request.prompt;
  std::vector<float> logits;

  // Prefill: the whole prompt in one batch, logits for its last token only.
  Batch batch;
  for (size_t i = 0; i < request.prompt.size(); ++i)
    batch.add(request.prompt[i], int32_t(i), seq_id, i + 1 == request.prompt.size());
  kv.clear(seq_id);

  auto emit = [&](std::string_view text) {
    if (text.empty()) return;
    result.text += text;
    if (on_text) on_text(text);
  };
  while (true) {
    Status s = model.forward(batch, kv, pool, logits);
    if (!s) return s.error();
    SampledToken sampled = sampler.sample(logits, history);
    const int32_t token = sampled.token;
    if (!request.ignore_eos && tokenizer.is_eog(token)) {
      result.finish = FinishReason::Stop;
      break;
    }
    result.tokens.push_back(token);
    result.sampled.push_back(std::move(sampled));
    history.push_back(token);
    const StopMatcher::Output out = stops.push(decoder.push(token));
    emit(out.text);
    if (out.stopped) {
      result.finish = FinishReason::Stop;
      return result;
    }
    if (int32_t(result.tokens.size()) >= request.max_tokens || int64_t(history.size()) >= n_ctx) {
      result.finish = FinishReason::Length;
      break;
    }
    batch.clear();
    batch.add(token, int32_t(history.size()) - 1, seq_id, true);
  }
  const StopMatcher::Output tail = stops.push(decoder.flush());
  emit(tail.text);
  if (tail.stopped) result.finish = FinishReason::Stop;
  else emit(stops.flush());
  return result;
}

}  // namespace tachyon
