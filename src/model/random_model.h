#pragma once
// Writes random-weight models: benchmarks and tests use them because no real model can be
// downloaded here. Files are ordinary GGUF that any llama.cpp-compatible reader loads. llama
// models are written from the spec alone; other architectures take a small file of that
// architecture as a template (its metadata and tensor names) and scale it to the spec's shape.
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
  int64_t head_dim = 0;        // 0: n_embd / n_head
  int64_t sliding_window = 0;  // written like a template: its window when 0
  float rope_freq_base = 10000.0f;
  bool tied_embeddings = false;
  GgmlType type = GgmlType::F32;   // type of the 2-D weights (output may get Q6_K, as llama.cpp does)
  uint64_t seed = 42;
  std::optional<std::string> vocab_path;  // GGUF whose tokenizer.* metadata is copied
  // Draft-model pairs, for measuring speculative decoding without a trained pair (llama only):
  // the layers from quiet_from on have their output projections (attn_output, ffn_down) scaled
  // by quiet_scale, so they move the residual stream little (0: not at all, and the model
  // computes exactly what its first quiet_from layers do); keep_layers > 0 writes only the first
  // keep_layers layers, with the same weights as the full model's, as its draft.
  int64_t quiet_from = -1;
  float quiet_scale = 1.0f;
  int64_t keep_layers = 0;
};

// Named shapes: "tinyllama-1.1b", "llama2-7b", "tiny" (llama2.c stories15M-like); nullopt for unknown names.
std::optional<RandomModelSpec> random_model_shape(std::string_view name);
// Applies "n_embd=..,n_layer=..,n_head=..,n_head_kv=..,n_ff=..,n_vocab=..,n_ctx=..,head_dim=..,
// sliding_window=.." overrides.
Status apply_dims(RandomModelSpec& spec, std::string_view dims);

// Generates and writes the model. Without a vocab file, a byte-fallback SPM vocabulary of
// n_vocab tokens is synthesised so the file still tokenizes any text.
Status write_random_model(const RandomModelSpec& spec, const std::string& path);

// The same for the architecture of the GGUF at template_path (qwen2, phi3, gemma2, mpt, llama,
// ...): its metadata with the spec's shape in place of its own (lengths, heads, head size,
// sliding window), and one random tensor of the spec's shape for each of its tensors (layer 0's
// repeated for every layer; norms one, biases zero). The tokenizer comes from spec.vocab_path,
// or is synthesised with spec.n_vocab tokens. Errors: a tensor whose shape cannot be scaled.
Status write_random_model_like(const RandomModelSpec& spec, const std::string& template_path, const std::string& path);

}  // namespace tachyon
