// LlamaModel::load: maps GGUF tensors to weight views, checking names, shapes and types.
#include <fmt/format.h>

#include "gguf/quantize.h"
#include "kernels/packed_weights.h"
#include "kernels/vec_dot.h"
#include "model/llama_model.h"

#include "kv/contiguous_kv_cache.h"
#include "kv/paged_kv_cache.h"

namespace tachyon {
namespace {

class TensorBinder {
 public:
  explicit TensorBinder(const GgufFile& file) : file_(file) {}

  Result<WeightMatrix> matrix(const std::string& name, int64_t n_cols, int64_t n_rows) const {
    const GgufTensorInfo* t = file_.tensor(name);
    if (!t) return make_error("{}: missing tensor '{}'", file_.path(), name);
    if (t->ne.size() != 2 || t->ne[0] != n_cols || t->ne[1] != n_rows)
      return make_error("{}: tensor '{}' has shape {} but [{}, {}] was expected", file_.path(), name,
                        fmt::join(t->ne, "x"), n_cols, n_rows);
    if (!supports_weight_type(t->type))
      return make_error("{}: tensor '{}' has type {}, which the engine cannot multiply", file_.path(), name,
                        ggml_type_name(t->type));
    return WeightMatrix{t->type, t->data, n_rows, n_cols, ggml_row_size(t->type, n_cols)};
  }

  Result<std::vector<float>> vector(const std::string& name, int64_t n) const {
    const GgufTensorInfo* t = file_.tensor(name);
    if (!t) return make_error("{}: missing tensor '{}'", file_.path(), name);
    if (t->n_elements() != n)
      return make_error("{}: tensor '{}' has {} elements but {} were expected", file_.path(), name,
                        t->n_elements(), n);
    if (!can_dequantize(t->type))
      return make_error("{}: tensor '{}' has unsupported type {}", file_.path(), name, ggml_type_name(t->type));
    std::vector<float> out(n);
    dequantize_row(t->type, t->data, out.data(), n);
    return out;
  }

 private:
  const GgufFile& file_;
};

// Gives m a packed copy when its type has a packed layout; `owned` keeps the copy alive.
void pack(WeightMatrix& m, std::vector<std::shared_ptr<const void>>& owned) {
  std::shared_ptr<const void> copy = pack_rows(m.type, m.data, m.n_rows, m.n_cols);
  if (!copy) return;
  m.packed = copy.get();
  owned.push_back(std::move(copy));
}

}  // namespace

KvShape LlamaModel::kv_shape(KvDType dtype) const {
  return KvShape{hparams_.n_layer, hparams_.n_head_kv, hparams_.head_dim, dtype};
}

Result<std::unique_ptr<KvCache>> LlamaModel::make_paged_kv(KvShape shape, KvBlockManager& blocks) const {
  return std::unique_ptr<KvCache>(std::make_unique<PagedKvCache>(shape, blocks));
}

Result<std::unique_ptr<KvCache>> LlamaModel::make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                                int32_t max_positions) const {
  return std::unique_ptr<KvCache>(std::make_unique<ContiguousKvCache>(shape, max_sequences, max_positions));
}

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_llama_hparams(*file);
  if (!hp) return hp.error();
  std::unique_ptr<LlamaModel> model(new LlamaModel());
  model->file_ = file;
  model->hparams_ = *hp;
  LlamaHParams& h = model->hparams_;
  LlamaWeights& w = model->weights_;
  const TensorBinder bind(*file);

  const GgufTensorInfo* embd = file->tensor("token_embd.weight");
  if (!embd || embd->ne.size() != 2 || embd->ne[0] != h.n_embd)
    return make_error("{}: missing or misshapen tensor 'token_embd.weight'", file->path());
  if (h.n_vocab == 0) h.n_vocab = embd->ne[1];
  if (embd->ne[1] != h.n_vocab)
    return make_error("{}: token_embd.weight has {} rows but the vocabulary has {} tokens", file->path(),
                      embd->ne[1], h.n_vocab);
  if (!can_dequantize(embd->type))
    return make_error("{}: token_embd.weight has unsupported type {}", file->path(), ggml_type_name(embd->type));
  w.token_embd = WeightMatrix{embd->type, embd->data, h.n_vocab, h.n_embd, ggml_row_size(embd->type, h.n_embd)};

  const int64_t q_dim = h.n_head * h.head_dim;
  const int64_t kv_dim = h.n_head_kv * h.head_dim;
  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    LlamaLayerWeights layer;
    auto check = [](auto r, auto& out) -> Status {
      if (!r) return r.error();
      out = std::move(*r);
      return Status::success();
    };
    for (Status s : {check(bind.vector(p + "attn_norm.weight", h.n_embd), layer.attn_norm),
                     check(bind.matrix(p + "attn_q.weight", h.n_embd, q_dim), layer.wq),
                     check(bind.matrix(p + "attn_k.weight", h.n_embd, kv_dim), layer.wk),
                     check(bind.matrix(p + "attn_v.weight", h.n_embd, kv_dim), layer.wv),
                     check(bind.matrix(p + "attn_output.weight", q_dim, h.n_embd), layer.wo),
                     check(bind.vector(p + "ffn_norm.weight", h.n_embd), layer.ffn_norm),
                     check(bind.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff), layer.w_gate),
                     check(bind.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff), layer.w_up),
                     check(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd), layer.w_down)}) {
      if (!s) return s.error();
    }
    for (WeightMatrix* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down})
      pack(*m, model->packed_);
    w.layers.push_back(std::move(layer));
  }
  auto norm = bind.vector("output_norm.weight", h.n_embd);
  if (!norm) return norm.error();
  w.output_norm = std::move(*norm);
  if (file->tensor("output.weight")) {
    auto out = bind.matrix("output.weight", h.n_embd, h.n_vocab);
    if (!out) return out.error();
    w.output = *out;
  } else {
    if (!supports_weight_type(embd->type))
      return make_error("{}: tied output uses token_embd.weight of type {}, which the engine cannot multiply",
                        file->path(), ggml_type_name(embd->type));
    w.output = w.token_embd;
    w.tied_embeddings = true;
  }
  pack(w.output, model->packed_);
  if (file->tensor("rope_freqs.weight")) {
    auto factors = bind.vector("rope_freqs.weight", h.n_rot / 2);
    if (!factors) return factors.error();
    w.rope_freq_factors = std::move(*factors);
  }
  return model;
}

}  // namespace tachyon
