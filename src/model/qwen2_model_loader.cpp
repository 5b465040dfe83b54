// Qwen2Model::load: maps GGUF tensors to weight views, checking names, shapes and types.
#include <fmt/format.h>

#include "model/qwen2_model.h"
#include "model/tensor_binder.h"

namespace tachyon {

Result<std::unique_ptr<Qwen2Model>> Qwen2Model::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "qwen2");
  if (!hp) return hp.error();
  std::unique_ptr<Qwen2Model> model(new Qwen2Model(file, std::move(*hp)));
  ModelHParams& h = model->hparams_;
  Qwen2Weights& w = model->weights_;
  const TensorBinder bind(*file);

  Status embd = take(bind.embeddings("token_embd.weight", h.n_embd, h.n_vocab), w.token_embd);
  if (!embd) return embd.error();

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    Qwen2LayerWeights layer;
    // Q, K and V each have a bias; the output projection has none.
    for (Status s : {take(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     take(bind.matrix(p + "attn_q.weight", h.n_embd, q_dim), layer.wq),
                     take(bind.vector(p + "attn_q.bias", q_dim), layer.bq),
                     take(bind.matrix(p + "attn_k.weight", h.n_embd, kv_dim), layer.wk),
                     take(bind.vector(p + "attn_k.bias", kv_dim), layer.bk),
                     take(bind.matrix(p + "attn_v.weight", h.n_embd, kv_dim), layer.wv),
                     take(bind.vector(p + "attn_v.bias", kv_dim), layer.bv),
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
  for (Status s : {take(bind.vector("output_norm.weight", h.n_embd), w.output_norm),
                   take(bind.output_or_tied(w.token_embd, w.tied_embeddings), w.output)}) {
    if (!s) return s.error();
  }
  pack_weight(w.output, model->packed_);
  return model;
}

std::vector<std::string> Qwen2Model::unsupported_settings() const {
  if (hparams_.sliding_window <= 0) return {};
  return {fmt::format("qwen2.attention.sliding_window = {} is ignored: every layer attends to all positions",
                      hparams_.sliding_window)};
}

}  // namespace tachyon
