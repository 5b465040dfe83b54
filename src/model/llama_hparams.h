#pragma once
// Hyper-parameters of a llama-architecture model, as read from GGUF metadata ("llama.*" keys).
#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"
#include "util/result.h"

namespace tachyon {

enum class RopeScaling { None, Linear };

struct LlamaHParams {
  std::string architecture;  // "llama" (also Mistral, TinyLlama, Code Llama files)
  std::string name;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t head_dim = 0;  // n_embd / n_head
  int64_t n_rot = 0;     // rotated dimensions per head (rope.dimension_count)
  float rope_freq_base = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::None;
  float rope_freq_scale = 1.0f;  // positions are multiplied by this (1 / linear factor)
  float rms_eps = 1e-5f;
  int64_t sliding_window = 0;  // 0: full attention
};

// Reads and checks the llama hyper-parameters; errors name the missing or inconsistent key.
Result<LlamaHParams> read_llama_hparams(const GgufFile& file);

}  // namespace tachyon
