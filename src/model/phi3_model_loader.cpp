// Phi3Model::load: maps GGUF tensors to weight views, checking names, shapes and types, and
// splits the fused attn_qkv and ffn_up matrices into row ranges.
#include <fmt/format.h>

#include "model/phi3_model.h"
#include "model/tensor_binder.h"

namespace tachyon {
namespace {

// LongRoPE (Phi-3 128k) rescales each rotary frequency by per-dimension factors and the
// attention by a factor of its own; plain RoPE would compute wrong logits for such a file.
Status refuse_long_rope(const GgufFile& file) {
  for (const char* tensor : {"rope_factors_long.weight", "rope_factors_short.weight"})
    if (file.tensor(tensor))
      return make_error("{}: LongRoPE (tensor {}) is not supported; use a Phi-3 model without rope scaling",
                        file.path(), tensor);
  for (const char* key : {"phi3.rope.scaling.attn_factor", "phi3.rope.scaling.original_context_length"})
    if (file.find(key))
      return make_error("{}: LongRoPE (metadata {}) is not supported; use a Phi-3 model without rope scaling",
                        file.path(), key);
  return Status::success();
}

}  // namespace

Result<std::unique_ptr<Phi3Model>> Phi3Model::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "phi3");
  if (!hp) return hp.error();
  if (!file->get_int("phi3.attention.sliding_window") || hp->sliding_window < 0)
    return make_error("{}: missing or invalid metadata phi3.attention.sliding_window", file->path());
  Status plain_rope = refuse_long_rope(*file);
  if (!plain_rope) return plain_rope.error();
  std::unique_ptr<Phi3Model> model(new Phi3Model(file, std::move(*hp)));
  ModelHParams& h = model->hparams_;
  Phi3Weights& w = model->weights_;
  const TensorBinder bind(*file);

  Status embd = take(bind.embeddings("token_embd.weight", h.n_embd, h.n_vocab), w.token_embd);
  if (!embd) return embd.error();

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    Phi3LayerWeights layer;
    WeightMatrix qkv, gate_up;  // (q_dim + 2 kv_dim, n_embd) and (2 n_ff, n_embd), fused
    for (Status s : {take(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     take(bind.matrix(p + "attn_qkv.weight", h.n_embd, q_dim + 2 * kv_dim), qkv),
                     take(bind.matrix(p + "attn_output.weight", q_dim, h.n_embd), layer.wo),
                     take(bind.vector(p + "ffn_norm.weight", h.n_embd), layer.ffn_norm),
                     take(bind.matrix(p + "ffn_up.weight", h.n_embd, 2 * h.n_ff), gate_up),
                     take(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd), layer.w_down)}) {
      if (!s) return s.error();
    }
    layer.wq = row_range(qkv, 0, q_dim);
    layer.wk = row_range(qkv, q_dim, kv_dim);
    layer.wv = row_range(qkv, q_dim + kv_dim, kv_dim);
    layer.w_gate = row_range(gate_up, 0, h.n_ff);
    layer.w_up = row_range(gate_up, h.n_ff, h.n_ff);
    for (WeightMatrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down})
      pack_weight(*m, model->packed_);
    w.layers.push_back(std::move(layer));
  }
  for (Status s : {take(bind.vector("output_norm.weight", h.n_embd), w.output_norm),
                   take(bind.matrix("output.weight", h.n_embd, h.n_vocab), w.output)}) {
    if (!s) return s.error();
  }
  pack_weight(w.output, model->packed_);
  return model;
}

}  // namespace tachyon
