// Gemma2Model::load: the gemma2.* settings, then GGUF tensors mapped to weight views, checking
// names, shapes and types.
#include <cmath>

#include <fmt/format.h>

#include "kernels/vec_dot.h"
#include "model/gemma2_model.h"
#include "model/tensor_binder.h"

namespace tachyon {
namespace {

// The layer count of gemma-2-27b, the one size whose query scale is not 1/sqrt(head_dim).
constexpr int64_t kGemma2_27bLayers = 46;

}  // namespace

Result<Gemma2Params> read_gemma2_params(const GgufFile& file, const ModelHParams& h) {
  Gemma2Params p;
  p.attn_softcap = static_cast<float>(file.get_float("gemma2.attn_logit_softcapping").value_or(p.attn_softcap));
  p.final_softcap = static_cast<float>(file.get_float("gemma2.final_logit_softcapping").value_or(p.final_softcap));
  if (!(p.attn_softcap >= 0.0f) || !(p.final_softcap >= 0.0f))
    return make_error("{}: negative gemma2 soft-capping ({} attention, {} final)", file.path(), p.attn_softcap,
                      p.final_softcap);
  // The common reader leaves 0 when the key is absent; Gemma 2 then means its trained 4096.
  if (h.sliding_window < 0) return make_error("{}: invalid gemma2.attention.sliding_window", file.path());
  if (h.sliding_window > 0) p.sliding_window = h.sliding_window;
  p.query_scale = h.n_layer == kGemma2_27bLayers ? 1.0f / std::sqrt(static_cast<float>(h.n_embd / h.n_head))
                                                 : 1.0f / std::sqrt(static_cast<float>(h.head_dim));
  return p;
}

Result<std::unique_ptr<Gemma2Model>> Gemma2Model::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "gemma2");
  if (!hp) return hp.error();
  auto params = read_gemma2_params(*file, *hp);
  if (!params) return params.error();
  std::unique_ptr<Gemma2Model> model(new Gemma2Model(file, std::move(*hp)));
  model->params_ = *params;
  ModelHParams& h = model->hparams_;
  Gemma2Weights& w = model->weights_;
  const TensorBinder bind(*file);

  auto embd = bind.embeddings("token_embd.weight", h.n_embd, h.n_vocab);
  if (!embd) return embd.error();
  w.token_embd = *embd;

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    Gemma2LayerWeights layer;
    for (Status s : {take(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     take(bind.matrix(p + "attn_q.weight", h.n_embd, q_dim), layer.wq),
                     take(bind.matrix(p + "attn_k.weight", h.n_embd, kv_dim), layer.wk),
                     take(bind.matrix(p + "attn_v.weight", h.n_embd, kv_dim), layer.wv),
                     take(bind.matrix(p + "attn_output.weight", q_dim, h.n_embd), layer.wo),
                     take(bind.vector(p + "post_attention_norm.weight", h.n_embd), layer.post_attn_norm),
                     take(bind.vector(p + "ffn_norm.weight", h.n_embd), layer.ffn_norm),
                     take(bind.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff), layer.w_gate),
                     take(bind.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff), layer.w_up),
                     take(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd), layer.w_down),
                     take(bind.vector(p + "post_ffw_norm.weight", h.n_embd), layer.post_ffn_norm)}) {
      if (!s) return s.error();
    }
    for (WeightMatrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down})
      pack_weight(*m, model->packed_);
    w.layers.push_back(std::move(layer));
  }
  auto norm = bind.vector("output_norm.weight", h.n_embd);
  if (!norm) return norm.error();
  w.output_norm = std::move(*norm);
  // Gemma 2 always ties the output matrix to the embeddings (converted files carry no output.weight).
  if (!supports_weight_type(w.token_embd.type))
    return make_error("{}: tied output uses token_embd.weight of type {}, which the engine cannot multiply",
                      file->path(), ggml_type_name(w.token_embd.type));
  w.output = w.token_embd;
  pack_weight(w.output, model->packed_);
  return model;
}

}  // namespace tachyon
