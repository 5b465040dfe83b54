#include "model/model_hparams.h"

namespace tachyon {

Result<ModelHParams> read_model_hparams(const GgufFile& file) {
  ModelHParams hp;
  const auto arch = file.get_string("general.architecture");
  if (!arch) return make_error("{}: no general.architecture in metadata", file.path());
  hp.architecture = *arch;
  hp.name = file.get_string("general.name").value_or("");
  const std::string p = hp.architecture + ".";

  auto required = [&](const std::string& key, int64_t& out) -> Status {
    const auto v = file.get_int(p + key);
    if (!v || *v <= 0) return make_error("{}: missing or invalid metadata {}{}", file.path(), p, key);
    out = *v;
    return Status::success();
  };
  for (auto [key, out] : {std::pair<const char*, int64_t*>{"context_length", &hp.n_ctx_train},
                          {"embedding_length", &hp.n_embd},
                          {"block_count", &hp.n_layer},
                          {"feed_forward_length", &hp.n_ff},
                          {"attention.head_count", &hp.n_head}}) {
    Status s = required(key, *out);
    if (!s) return s.error();
  }
  hp.n_head_kv = file.get_int(p + "attention.head_count_kv").value_or(hp.n_head);
  if (hp.n_head_kv <= 0 || hp.n_head % hp.n_head_kv != 0)
    return make_error("{}: attention.head_count_kv {} does not divide head_count {}", file.path(),
                      hp.n_head_kv, hp.n_head);
  const auto key_length = file.get_int(p + "attention.key_length");
  if (!key_length && hp.n_embd % hp.n_head != 0)
    return make_error("{}: embedding_length {} is not a multiple of head_count {}", file.path(), hp.n_embd,
                      hp.n_head);
  hp.head_dim = key_length.value_or(hp.n_embd / hp.n_head);
  if (hp.head_dim <= 0) return make_error("{}: invalid {}attention.key_length", file.path(), p);
  hp.n_rot = file.get_int(p + "rope.dimension_count").value_or(hp.head_dim);
  if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0)
    return make_error("{}: rope.dimension_count {} invalid for head size {}", file.path(), hp.n_rot,
                      hp.head_dim);
  hp.rope_freq_base = static_cast<float>(file.get_float(p + "rope.freq_base").value_or(10000.0));
  hp.rms_eps = static_cast<float>(file.get_float(p + "attention.layer_norm_rms_epsilon").value_or(1e-5));
  hp.norm_eps = static_cast<float>(file.get_float(p + "attention.layer_norm_epsilon").value_or(1e-5));
  hp.sliding_window = file.get_int(p + "attention.sliding_window").value_or(0);

  const auto scaling = file.get_string(p + "rope.scaling.type").value_or("none");
  const double factor = file.get_float(p + "rope.scaling.factor").value_or(0.0);
  if (scaling == "linear" && factor > 0) {
    hp.rope_scaling = RopeScaling::Linear;
    hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none" && scaling != "linear" && scaling != "llama3") {
    return make_error("{}: unsupported rope scaling '{}' (supported: none, linear, llama3)", file.path(),
                      scaling);
  }
  // llama3 scaling is carried by the rope_freqs.weight tensor, read with the weights.

  const auto vocab = file.get_int(p + "vocab_size");
  const auto tokens = file.find("tokenizer.ggml.tokens");
  if (vocab) hp.n_vocab = *vocab;
  else if (tokens) hp.n_vocab = static_cast<int64_t>(tokens->array.size());
  return hp;
}

Result<ModelHParams> read_model_hparams(const GgufFile& file, std::string_view architecture) {
  auto hp = read_model_hparams(file);
  if (hp && hp->architecture != architecture)
    return make_error("{}: architecture '{}' is not {}", file.path(), hp->architecture, architecture);
  return hp;
}

}  // namespace tachyon
