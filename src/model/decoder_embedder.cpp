#include "model/decoder_embedder.h"

namespace tachyon {

Result<std::vector<EncoderOutput>> DecoderEmbedder::embed(std::span<const std::vector<int32_t>> inputs,
                                                          Pooling pooling, ThreadPool& pool) const {
  if (Status valid = check_encoder_inputs(inputs, n_ctx(), hparams().n_vocab); !valid) return valid.error();
  const int64_t D = n_embd();
  std::vector<EncoderOutput> outputs(inputs.size());
  std::vector<float> hidden;  // (n_tokens, D)
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<int32_t>& input = inputs[i];
    const int32_t n = int32_t(input.size());
    auto kv = model_.make_contiguous_kv(model_.kv_shape(KvDType::F32), 1, n);
    if (!kv) return kv.error();
    Batch batch;
    for (int32_t p = 0; p < n; ++p) batch.add(input[size_t(p)], p, 0, true);
    if (Status s = model_.final_hidden_states(batch, **kv, pool, hidden); !s) return s.error();
    EncoderOutput& out = outputs[i];
    out.n_tokens = n;
    if (pooling == Pooling::none)
      out.hidden = hidden;
    else
      out.pooled = pool_hidden_states(hidden.data(), n, D, pooling);
  }
  return outputs;
}

}  // namespace tachyon
