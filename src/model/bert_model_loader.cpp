// BertModel::load: hyper-parameters, pooling, and the tensors viewed in the mapping.
#include <fmt/format.h>

#include "model/bert_model.h"
#include "model/tensor_binder.h"

namespace tachyon {

Result<std::unique_ptr<BertModel>> BertModel::load(std::shared_ptr<const GgufFile> file) {
  auto hp = read_model_hparams(*file, "bert");
  if (!hp) return hp.error();
  if (hp->n_head_kv != hp->n_head || hp->head_dim * hp->n_head != hp->n_embd)
    return make_error("{}: bert needs n_head_kv == n_head ({} vs {}) and n_head * head_dim == n_embd", file->path(),
                      hp->n_head_kv, hp->n_head);
  std::unique_ptr<BertModel> model(new BertModel(file, std::move(*hp)));
  const ModelHParams& h = model->hparams_;
  BertWeights& w = model->weights_;
  const int64_t D = h.n_embd, F = h.n_ff;

  model->causal_ = file->get_bool("bert.attention.causal").value_or(false);
  // An absent pooling type means mean pooling, what sentence-embedding models use.
  const int64_t pooling = file->get_int("bert.pooling_type").value_or(int64_t(Pooling::mean));
  if (pooling < int64_t(Pooling::none) || pooling > int64_t(Pooling::last))
    return make_error("{}: bert.pooling_type {} is not supported (0 none, 1 mean, 2 cls, 3 last; 4 rank needs a "
                      "classifier head)",
                      file->path(), pooling);
  model->pooling_ = Pooling(pooling);

  const TensorBinder bind(*file);
  int64_t n_vocab = h.n_vocab, n_types = 0, n_positions = 0;
  WeightMatrix token_types;
  for (Status s : {take(bind.embeddings("token_embd.weight", D, n_vocab), w.token_embd),
                   take(bind.embeddings("token_types.weight", D, n_types), token_types),
                   take(bind.embeddings("position_embd.weight", D, n_positions), w.position_embd),
                   take(bind.vector("token_embd_norm.weight", D), w.embd_norm_w),
                   take(bind.vector("token_embd_norm.bias", D), w.embd_norm_b)}) {
    if (!s) return s.error();
  }
  model->hparams_.n_vocab = n_vocab;
  if (n_positions < h.n_ctx_train)
    return make_error("{}: position_embd.weight has {} rows but the context length is {}", file->path(), n_positions,
                      h.n_ctx_train);
  // Only row 0 is used; read it through the same dequantizer as the other tables.
  auto type_rows = bind.vector("token_types.weight", D * n_types);
  if (!type_rows) return type_rows.error();
  w.token_type0.assign(type_rows->begin(), type_rows->begin() + D);

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    BertLayerWeights L;
    for (Status s : {take(bind.matrix(p + "attn_q.weight", D, D), L.wq),
                     take(bind.vector(p + "attn_q.bias", D), L.bq),
                     take(bind.matrix(p + "attn_k.weight", D, D), L.wk),
                     take(bind.vector(p + "attn_k.bias", D), L.bk),
                     take(bind.matrix(p + "attn_v.weight", D, D), L.wv),
                     take(bind.vector(p + "attn_v.bias", D), L.bv),
                     take(bind.matrix(p + "attn_output.weight", D, D), L.wo),
                     take(bind.vector(p + "attn_output.bias", D), L.bo),
                     take(bind.vector(p + "attn_output_norm.weight", D), L.attn_norm_w),
                     take(bind.vector(p + "attn_output_norm.bias", D), L.attn_norm_b),
                     take(bind.matrix(p + "ffn_up.weight", D, F), L.w_up),
                     take(bind.vector(p + "ffn_up.bias", F), L.b_up),
                     take(bind.matrix(p + "ffn_down.weight", F, D), L.w_down),
                     take(bind.vector(p + "ffn_down.bias", D), L.b_down),
                     take(bind.vector(p + "layer_output_norm.weight", D), L.output_norm_w),
                     take(bind.vector(p + "layer_output_norm.bias", D), L.output_norm_b)}) {
      if (!s) return s.error();
    }
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_up, &L.w_down}) pack_weight(*m, model->packed_);
    w.layers.push_back(std::move(L));
  }
  return model;
}

}  // namespace tachyon
