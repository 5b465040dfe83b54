#pragma once
// A llama-architecture model (Llama 1/2/3, TinyLlama, Mistral, Code Llama): weights viewed in
// place in the memory-mapped GGUF file, except the small 1-D norm vectors and the matrices whose
// type has a packed layout (kernels/packed_weights.h), which are reordered once into memory the
// model owns; and the forward pass. Immutable after load; forward() may be called from one thread at a time per
// KvCache (it uses the given pool for its parallel loops).
#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/cpu_model.h"
#include "util/thread_pool.h"

namespace tachyon {

struct LlamaLayerWeights {
  std::vector<float> attn_norm;  // (n_embd)
  WeightMatrix wq;               // (n_head * head_dim, n_embd)
  WeightMatrix wk;               // (n_head_kv * head_dim, n_embd)
  WeightMatrix wv;               // (n_head_kv * head_dim, n_embd)
  WeightMatrix wo;               // (n_embd, n_head * head_dim)
  std::vector<float> ffn_norm;   // (n_embd)
  WeightMatrix w_gate;           // (n_ff, n_embd)
  WeightMatrix w_up;             // (n_ff, n_embd)
  WeightMatrix w_down;           // (n_embd, n_ff)
};

struct LlamaWeights {
  WeightMatrix token_embd;         // (n_vocab, n_embd): rows are dequantized on lookup
  std::vector<LlamaLayerWeights> layers;
  std::vector<float> output_norm;  // (n_embd)
  WeightMatrix output;             // (n_vocab, n_embd); token_embd when embeddings are tied
  bool tied_embeddings = false;
  std::vector<float> rope_freq_factors;  // (n_rot / 2) llama3-style per-frequency divisors, or empty
};

class LlamaModel final : public CpuModel {
 public:
  // Checks architecture, hyper-parameters, and every tensor's presence, type and shape.
  static Result<std::unique_ptr<LlamaModel>> load(std::shared_ptr<const GgufFile> file);

  const LlamaWeights& weights() const { return weights_; }
  bool tied_embeddings() const override { return weights_.tied_embeddings; }

  // Runs the batch: writes each token's K/V into kv at (seq, position), attends over positions
  // 0..position of its own sequence, and returns the final hidden states (n_wanted, n_embd) of
  // the rows with want_logits set, in batch order (forward() projects them to logits). Every
  // sequence position below a token's position must already be in kv or earlier in the batch.
  Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                             std::vector<float>& hidden) const override;

 private:
  using CpuModel::CpuModel;
  void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const override;

  LlamaWeights weights_;
};

}  // namespace tachyon
