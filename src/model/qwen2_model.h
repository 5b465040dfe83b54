#pragma once
// A qwen2-architecture model (Qwen2, Qwen2.5): llama's decoder with biases on the Q, K and V
// projections, NeoX RoPE (base 1e6 in the released models) and, in the small models, the output
// projection tied to the token embeddings. Weights are viewed in the mapping as for llama
// (llama_model.h); immutable after load; forward() may be called from one thread at a time per
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

struct Qwen2LayerWeights {
  std::vector<float> attn_norm;  // (n_embd)
  WeightMatrix wq;               // (n_head * head_dim, n_embd)
  std::vector<float> bq;         // (n_head * head_dim)
  WeightMatrix wk;               // (n_head_kv * head_dim, n_embd)
  std::vector<float> bk;         // (n_head_kv * head_dim)
  WeightMatrix wv;               // (n_head_kv * head_dim, n_embd)
  std::vector<float> bv;         // (n_head_kv * head_dim)
  WeightMatrix wo;               // (n_embd, n_head * head_dim), no bias
  std::vector<float> ffn_norm;   // (n_embd)
  WeightMatrix w_gate;           // (n_ff, n_embd)
  WeightMatrix w_up;             // (n_ff, n_embd)
  WeightMatrix w_down;           // (n_embd, n_ff)
};

struct Qwen2Weights {
  WeightMatrix token_embd;         // (n_vocab, n_embd): rows are dequantized on lookup
  std::vector<Qwen2LayerWeights> layers;
  std::vector<float> output_norm;  // (n_embd)
  WeightMatrix output;             // (n_vocab, n_embd); token_embd when embeddings are tied
  bool tied_embeddings = false;
};

class Qwen2Model final : public CpuModel {
 public:
  // Checks architecture, hyper-parameters, and every tensor's presence, type and shape.
  static Result<std::unique_ptr<Qwen2Model>> load(std::shared_ptr<const GgufFile> file);

  const Qwen2Weights& weights() const { return weights_; }
  bool tied_embeddings() const override { return weights_.tied_embeddings; }
  // qwen2.attention.sliding_window, when a file sets it, is not applied (nor by llama.cpp).
  std::vector<std::string> unsupported_settings() const override;

  // As LlamaModel's: writes each token's K/V into kv at (seq, position), attends causally over
  // its own sequence, and returns the final hidden states (n_wanted, n_embd) of the rows with
  // want_logits set, in batch order.
  Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                             std::vector<float>& hidden) const override;

 private:
  using CpuModel::CpuModel;
  void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const override;

  Qwen2Weights weights_;
};

}  // namespace tachyon
