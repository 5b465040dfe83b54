// LlamaModel::load: maps GGUF tensors to weight views, checking names, shapes and types.
#include <fmt/format.h>

#include "model/llama_model.h"
#include "model/tensor_binder.h"

namespace tachyon {

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "llama");
  if (!hp) return hp.error();
  std::unique_ptr<LlamaModel> model(new LlamaModel(file, std::move(*hp)));
  ModelHParams& h = model->hparams_;
  LlamaWeights& w = model->weights_;
  const TensorBinder bind(*file);

  auto embd = bind.embeddings("token_embd.weight", h.n_embd, h.n_vocab);
  if (!embd) return embd.error();
  w.token_embd = *embd;

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    LlamaLayerWeights layer;
    for (Status s : {take(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     take(bind.matrix(p + "attn_q.weight", h.n_embd, q_dim), layer.wq),
                     take(bind.matrix(p + "attn_k.weight", h.n_embd, kv_dim), layer.wk),
                     take(bind.matrix(p + "attn_v.weight", h.n_embd, kv_dim), layer.wv),
                     take(bind.matrix(p + "attn_output.weight", q_dim, h.n_embd), layer.wo),
                     take(bind.vector(p + "ffn_norm.weight", h.n_embd), layer.ffn_norm),
                     take(bind.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff), layer.w_gate),
                     take(bind.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff), layer.w_up),
                     take(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd), layer.w_down)}) {
      if (!s) return s.error();
    }
    for (WeightMatrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down})
      pack_weight(*m, model->packed_);
    w.layers.push_back(std::move(layer));
  }
  auto norm = bind.vector("output_norm.weight", h.n_embd);
  if (!norm) return norm.error();
  w.output_norm = std::move(*norm);
  auto output = bind.output_or_tied(w.token_embd, w.tied_embeddings);
  if (!output) return output.error();
  w.output = *output;
  pack_weight(w.output, model->packed_);
  if (file->tensor("rope_freqs.weight")) {
    auto factors = bind.vector("rope_freqs.weight", h.n_rot / 2);
    if (!factors) return factors.error();
    w.rope_freq_factors = std::move(*factors);
  }
  return model;
}

}  // namespace tachyon
