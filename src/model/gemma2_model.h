#pragma once
// A Gemma 2 model (gemma-2-2b/9b/27b): llama's layout plus what Gemma 2 adds: embeddings scaled
// by sqrt(n_embd), NeoX RoPE, tanh soft-capping of the attention scores and of the final logits,
// a sliding window on the even layers only, RMSNorms after the attention and feed-forward
// sub-layers, GeGLU (GELU gate), and an output matrix always tied to token_embd. Norm weights are
// used as stored (GGUF converters have already added Gemma's +1). Immutable after load;
// forward() may be called from one thread at a time per KvCache.
#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/cpu_model.h"
#include "util/thread_pool.h"

namespace tachyon {

// The gemma2.* settings the common hyper-parameters do not hold.
struct Gemma2Params {
  float attn_softcap = 50.0f;    // gemma2.attn_logit_softcapping: score = c * tanh(score / c)
  float final_softcap = 30.0f;   // gemma2.final_logit_softcapping: logit = c * tanh(logit / c)
  int64_t sliding_window = 4096; // attention.sliding_window, applied to the even layers
  // Multiplies q·k: 1/sqrt(head_dim), except for the 27B (46 layers), which was trained with
  // 1/sqrt(n_embd / n_head) (query_pre_attn_scalar 144 while head_dim is 128).
  float query_scale = 0.0f;
};

// Reads the gemma2.* keys of file (whose common hyper-parameters are h), with Gemma 2's defaults
// for absent ones; an error names a negative soft-cap or window.
Result<Gemma2Params> read_gemma2_params(const GgufFile& file, const ModelHParams& h);

struct Gemma2LayerWeights {
  std::vector<float> attn_norm;       // (n_embd)
  WeightMatrix wq;                    // (n_head * head_dim, n_embd)
  WeightMatrix wk;                    // (n_head_kv * head_dim, n_embd)
  WeightMatrix wv;                    // (n_head_kv * head_dim, n_embd)
  WeightMatrix wo;                    // (n_embd, n_head * head_dim)
  std::vector<float> post_attn_norm;  // (n_embd)
  std::vector<float> ffn_norm;        // (n_embd)
  WeightMatrix w_gate;                // (n_ff, n_embd)
  WeightMatrix w_up;                  // (n_ff, n_embd)
  WeightMatrix w_down;                // (n_embd, n_ff)
  std::vector<float> post_ffn_norm;   // (n_embd)
};

struct Gemma2Weights {
  WeightMatrix token_embd;  // (n_vocab, n_embd): rows are dequantized on lookup; also the output matrix
  std::vector<Gemma2LayerWeights> layers;
  std::vector<float> output_norm;  // (n_embd)
  WeightMatrix output;             // token_embd, packed for the output projection when its type packs
};

class Gemma2Model final : public CpuModel {
 public:
  // Checks architecture, hyper-parameters, and every tensor's presence, type and shape.
  static Result<std::unique_ptr<Gemma2Model>> load(std::shared_ptr<const GgufFile> file);

  const Gemma2Weights& weights() const { return weights_; }
  const Gemma2Params& gemma2_params() const { return params_; }
  bool tied_embeddings() const override { return true; }

  // Runs the batch: writes each token's K/V into kv at (seq, position), attends over positions
  // 0..position of its own sequence (the last sliding_window of them on even layers), and
  // returns the final hidden states (n_wanted, n_embd) of the rows with want_logits set, in
  // batch order (forward() projects them to soft-capped logits). Every sequence position below a
  // token's position must already be in kv or earlier in the batch.
  Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                             std::vector<float>& hidden) const override;

 private:
  using CpuModel::CpuModel;
  void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const override;

  Gemma2Params params_;
  Gemma2Weights weights_;
};

}  // namespace tachyon
