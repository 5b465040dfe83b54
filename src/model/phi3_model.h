#pragma once
// A phi3-architecture model (Phi-3 mini/medium 4k, Phi-4): fused Q/K/V and fused gate+up
// matrices, NeoX RoPE, a sliding attention window on every layer, and a separate output
// matrix. The fused tensors are bound once and viewed as row ranges (Q, K, V; gate, up), each
// packed as a matrix of its own. LongRoPE files (the 128k variants: rope_factors_long/short,
// rope.scaling.* keys) are refused at load. Immutable after load; forward() may be called from
// one thread at a time per KvCache (it uses the given pool for its parallel loops).
#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/cpu_model.h"
#include "util/thread_pool.h"

namespace tachyon {

struct Phi3LayerWeights {
  std::vector<float> attn_norm;  // (n_embd)
  WeightMatrix wq;               // (n_head * head_dim, n_embd): attn_qkv rows [0, q_dim)
  WeightMatrix wk;               // (n_head_kv * head_dim, n_embd): the next kv_dim rows
  WeightMatrix wv;               // (n_head_kv * head_dim, n_embd): the last kv_dim rows
  WeightMatrix wo;               // (n_embd, n_head * head_dim)
  std::vector<float> ffn_norm;   // (n_embd)
  WeightMatrix w_gate;           // (n_ff, n_embd): ffn_up rows [0, n_ff)
  WeightMatrix w_up;             // (n_ff, n_embd): ffn_up rows [n_ff, 2 n_ff)
  WeightMatrix w_down;           // (n_embd, n_ff)
};

struct Phi3Weights {
  WeightMatrix token_embd;         // (n_vocab, n_embd): rows are dequantized on lookup
  std::vector<Phi3LayerWeights> layers;
  std::vector<float> output_norm;  // (n_embd)
  WeightMatrix output;             // (n_vocab, n_embd): output.weight, never tied
};

class Phi3Model final : public CpuModel {
 public:
  // Checks architecture, hyper-parameters (phi3.attention.sliding_window must be set; 0 means
  // no window), and every tensor's presence, type and shape.
  static Result<std::unique_ptr<Phi3Model>> load(std::shared_ptr<const GgufFile> file);

  const Phi3Weights& weights() const { return weights_; }
  bool tied_embeddings() const override { return false; }

  // As LlamaModel's, with each token seeing only the last sliding_window positions of its
  // sequence (its own included): the final hidden states (n_wanted, n_embd) of the rows with
  // want_logits set, in batch order.
  Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                             std::vector<float>& hidden) const override;

 private:
  using CpuModel::CpuModel;
  void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const override;

  Phi3Weights weights_;
};

}  // namespace tachyon
