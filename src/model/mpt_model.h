#pragma once
// An MPT-architecture model (MosaicML MPT, replit-code-v1.5-3b): LayerNorm without biases, one
// fused QKV projection whose outputs are clamped, ALiBi position biases instead of rotary or
// learned position embeddings, a GELU MLP and the output tied to the token embeddings unless
// the file has output.weight. Weights are viewed in the mapping as for LlamaModel (llama_model.h).
// Immutable after load; forward() may be called from one thread at a time per KvCache.
#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/cpu_model.h"
#include "util/thread_pool.h"

namespace tachyon {

// The mpt.* settings no other architecture has.
struct MptParams {
  float clamp_kqv = 0.0f;       // mpt.attention.clamp_kqv: Q, K, V clamped to [-c, c]; 0: no clamp
  float max_alibi_bias = 0.0f;  // mpt.attention.max_alibi_bias: sets the per-head ALiBi slopes
};

struct MptLayerWeights {
  std::vector<float> attn_norm;  // (n_embd) LayerNorm weight, no bias
  // Row ranges of the fused attn_qkv.weight (n_head * d + 2 * n_head_kv * d, n_embd), each
  // packed on its own: rows [0, H d) are Q, then Hkv d rows of K, then Hkv d rows of V.
  WeightMatrix wq;               // (n_head * head_dim, n_embd)
  WeightMatrix wk;               // (n_head_kv * head_dim, n_embd)
  WeightMatrix wv;               // (n_head_kv * head_dim, n_embd)
  WeightMatrix wo;               // (n_embd, n_head * head_dim)
  std::vector<float> ffn_norm;   // (n_embd) LayerNorm weight, no bias
  WeightMatrix w_up;             // (n_ff, n_embd)
  WeightMatrix w_down;           // (n_embd, n_ff)
};

struct MptWeights {
  WeightMatrix token_embd;         // (n_vocab, n_embd): rows are dequantized on lookup
  std::vector<MptLayerWeights> layers;
  std::vector<float> output_norm;  // (n_embd) LayerNorm weight, no bias
  WeightMatrix output;             // (n_vocab, n_embd); token_embd when embeddings are tied
  bool tied_embeddings = false;
};

class MptModel final : public CpuModel {
 public:
  // Checks architecture, hyper-parameters (mpt.attention.max_alibi_bias is required, as in
  // llama.cpp), and every tensor's presence, type and shape; a file with tensors this pass does
  // not apply (biases, position embeddings, Q/K norms) is refused rather than run wrongly.
  static Result<std::unique_ptr<MptModel>> load(std::shared_ptr<const GgufFile> file);

  const MptWeights& weights() const { return weights_; }
  const MptParams& mpt_params() const { return params_; }
  bool tied_embeddings() const override { return weights_.tied_embeddings; }

  // K/V of each token into kv, attention over its own sequence's positions 0..position with
  // ALiBi biases, the final hidden states (n_wanted, n_embd) in batch order.
  Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                             std::vector<float>& hidden) const override;

 private:
  using CpuModel::CpuModel;
  void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const override;

  MptParams params_;
  std::vector<float> alibi_slopes_;  // (n_head), from params_.max_alibi_bias
  MptWeights weights_;
};

}  // namespace tachyon
