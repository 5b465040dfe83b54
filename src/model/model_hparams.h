#pragma once
// Hyper-parameters every architecture has, as read from GGUF metadata ("<architecture>.*" keys).
// What only one architecture has (ALiBi, soft-caps, fused tensors, ...) is read by that
// architecture's loader and stays in its own model class.
#include <cstdint>
#include <string>
#include <string_view>

#include "gguf/gguf_file.h"
#include "util/result.h"

namespace tachyon {

enum class RopeScaling { None, Linear };

struct ModelHParams {
  std::string architecture;  // general.architecture: "llama", "qwen2", "mpt", ...
  std::string name;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t head_dim = 0;  // attention.key_length, else n_embd / n_head
  int64_t n_rot = 0;     // rotated dimensions per head (rope.dimension_count)
  float rope_freq_base = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::None;
  float rope_freq_scale = 1.0f;  // positions are multiplied by this (1 / linear factor)
  float rms_eps = 1e-5f;         // attention.layer_norm_rms_epsilon (RMSNorm models)
  float norm_eps = 1e-5f;        // attention.layer_norm_epsilon (LayerNorm models)
  int64_t sliding_window = 0;    // attention.sliding_window; 0: full attention
};

// Reads and checks the keys every architecture shares, under the file's general.architecture
// prefix; errors name the missing or inconsistent key. It does not judge the architecture:
// load_model (model/load_model.h) does.
Result<ModelHParams> read_model_hparams(const GgufFile& file);
// The same for an architecture's own loader: an error unless general.architecture is `architecture`.
Result<ModelHParams> read_model_hparams(const GgufFile& file, std::string_view architecture);

}  // namespace tachyon
