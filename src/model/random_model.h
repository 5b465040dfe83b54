#pragma once
// Writes random-weight llama-architecture models: benchmarks and tests use them because no real
// model can be downloaded here. Files are ordinary GGUF that any llama.cpp-compatible reader loads.
#include <cstdint>
#include <optional>
#include <string>

#include "gguf/ggml_type.h"
#include "util/result.h"

namespace tachyon {

struct RandomModelSpec {
  std::string name = "random";
  int64_t n_embd = 288;
  int64_t n_layer = 6;
  int64_t n_head = 6;
  int64_t n_head_kv = 6;
  int64_t n_ff = 768;
  int64_t n_vocab = 32000;
  int64_t n_ctx = 2048;
  float rope_freq_base = 10000.0f;
  bool tied_embeddings = false;
  GgmlType type = GgmlType::F32;   // type of the 2-D weights (output may get Q6_K, as llama.cpp does)
  uint64_t seed = 42;
  std::optional<std::string> vocab_path;  // GGUF whose tokenizer.* metadata is copied
};

// Named shapes: "tinyllama-1.1b", "llama2-7b", "tiny" (llama2.c stories15M-like); nullopt for unknown names.
std::optional<RandomModelSpec> random_model_shape(std::string_view name);
// Applies "n_embd=..,n_layer=..,n_head=..,n_head_kv=..,n_ff=..,n_vocab=..,n_ctx=.." overrides.
Status apply_dims(RandomModelSpec& spec, std::string_view dims);

// Generates and writes the model. Without a vocab file, a byte-fallback SPM vocabulary of
// n_vocab tokens is synthesised so the file still tokenizes any text.
Status write_random_model(const RandomModelSpec& spec, const std::string& path);

}  // namespace tachyon
