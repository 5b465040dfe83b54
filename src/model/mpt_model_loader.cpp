// MptModel::load: the mpt.* settings, then GGUF tensors to weight views, checking names, shapes
// and types.
#include <set>

#include <fmt/format.h>

#include "kernels/vec_dot.h"
#include "model/attention.h"
#include "model/mpt_model.h"
#include "model/tensor_binder.h"

namespace tachyon {
namespace {

Result<MptParams> read_mpt_params(const GgufFile& file) {
  MptParams p;
  const auto clamp = file.get_float("mpt.attention.clamp_kqv");
  if (clamp && !(*clamp >= 0.0))
    return make_error("{}: invalid metadata mpt.attention.clamp_kqv {}", file.path(), *clamp);
  p.clamp_kqv = static_cast<float>(clamp.value_or(0.0));
  const auto max_bias = file.get_float("mpt.attention.max_alibi_bias");
  if (!max_bias)
    return make_error("{}: missing metadata mpt.attention.max_alibi_bias (MPT models need the ALiBi bias)",
                      file.path());
  if (!(*max_bias > 0.0))
    return make_error("{}: invalid metadata mpt.attention.max_alibi_bias {} (must be positive)", file.path(),
                      *max_bias);
  p.max_alibi_bias = static_cast<float>(*max_bias);
  return p;
}

}  // namespace

Result<std::unique_ptr<MptModel>> MptModel::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "mpt");
  if (!hp) return hp.error();
  auto params = read_mpt_params(*file);
  if (!params) return params.error();
  std::unique_ptr<MptModel> model(new MptModel(file, std::move(*hp)));
  ModelHParams& h = model->hparams_;
  MptWeights& w = model->weights_;
  model->params_ = *params;
  model->alibi_slopes_ = alibi_slopes(h.n_head, params->max_alibi_bias);
  const TensorBinder bind(*file);
  std::set<std::string> bound;  // every tensor the forward pass uses

  auto embd = bind.embeddings("token_embd.weight", h.n_embd, h.n_vocab);
  if (!embd) return embd.error();
  w.token_embd = *embd;
  bound.insert("token_embd.weight");

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    MptLayerWeights layer;
    WeightMatrix wqkv;
    for (Status s : {take(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     take(bind.matrix(p + "attn_qkv.weight", h.n_embd, q_dim + 2 * kv_dim), wqkv),
                     take(bind.matrix(p + "attn_output.weight", q_dim, h.n_embd), layer.wo),
                     take(bind.vector(p + "ffn_norm.weight", h.n_embd), layer.ffn_norm),
                     take(bind.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff), layer.w_up),
                     take(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd), layer.w_down)}) {
      if (!s) return s.error();
    }
    for (const char* name :
         {"attn_norm.weight", "attn_qkv.weight", "attn_output.weight", "ffn_norm.weight", "ffn_up.weight",
          "ffn_down.weight"})
      bound.insert(p + name);
    layer.wq = row_range(wqkv, 0, q_dim);
    layer.wk = row_range(wqkv, q_dim, kv_dim);
    layer.wv = row_range(wqkv, q_dim + kv_dim, kv_dim);
    for (WeightMatrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_up, &layer.w_down})
      pack_weight(*m, model->packed_);
    w.layers.push_back(std::move(layer));
  }
  auto norm = bind.vector("output_norm.weight", h.n_embd);
  if (!norm) return norm.error();
  w.output_norm = std::move(*norm);
  bound.insert("output_norm.weight");
  auto out = bind.output_or_tied(w.token_embd, w.tied_embeddings);
  if (!out) return out.error();
  w.output = *out;
  bound.insert("output.weight");
  pack_weight(w.output, model->packed_);

  // Optional MPT tensors (biases, learned position embeddings, Q/K LayerNorms) would change the
  // arithmetic; running without them would give wrong logits, so they are refused by name.
  for (const GgufTensorInfo& t : file->tensors())
    if (!bound.contains(t.name))
      return make_error("{}: tensor '{}' is not supported by the mpt forward pass (no biases, position "
                        "embeddings or Q/K norms)",
                        file->path(), t.name);
  return model;
}

}  // namespace tachyon
