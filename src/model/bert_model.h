#pragma once
// A BERT encoder (general.architecture "bert": BERT, MiniLM, BGE, E5 and other sentence
// embedders converted by llama.cpp): token, token-type and learned position embeddings, then
// post-norm layers (attention with biases, GELU feed-forward), no output matrix. Matrices are
// viewed in the memory-mapped file (or packed once, kernels/packed_weights.h); the small vectors
// are copied out. Immutable after load; embed() may be called from one thread at a time per
// ThreadPool.
#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/encoder.h"

namespace tachyon {

struct BertLayerWeights {
  WeightMatrix wq, wk, wv;            // (n_embd, n_embd) each
  std::vector<float> bq, bk, bv;      // (n_embd) each
  WeightMatrix wo;                    // (n_embd, n_embd)
  std::vector<float> bo;              // (n_embd)
  std::vector<float> attn_norm_w;     // (n_embd) attn_output_norm
  std::vector<float> attn_norm_b;     // (n_embd)
  WeightMatrix w_up;                  // (n_ff, n_embd)
  std::vector<float> b_up;            // (n_ff)
  WeightMatrix w_down;                // (n_embd, n_ff)
  std::vector<float> b_down;          // (n_embd)
  std::vector<float> output_norm_w;   // (n_embd) layer_output_norm
  std::vector<float> output_norm_b;   // (n_embd)
};

struct BertWeights {
  WeightMatrix token_embd;              // (n_vocab, n_embd): rows are dequantized on lookup
  std::vector<float> token_type0;       // (n_embd) row 0 of token_types: every token is "sentence A"
  WeightMatrix position_embd;           // (n_ctx, n_embd)
  std::vector<float> embd_norm_w;       // (n_embd) token_embd_norm
  std::vector<float> embd_norm_b;       // (n_embd)
  std::vector<BertLayerWeights> layers;
};

class BertModel final : public Encoder {
 public:
  // Checks architecture, hyper-parameters, and every tensor's presence, type and shape.
  static Result<std::unique_ptr<BertModel>> load(std::shared_ptr<const GgufFile> file);

  const ModelHParams& hparams() const override { return hparams_; }
  Pooling pooling() const override { return pooling_; }
  bool causal() const override { return causal_; }
  const BertWeights& weights() const { return weights_; }

  Result<std::vector<EncoderOutput>> embed(std::span<const std::vector<int32_t>> inputs, Pooling pooling,
                                           ThreadPool& pool) const override;

 private:
  BertModel(std::shared_ptr<const GgufFile> file, ModelHParams hparams)
      : file_(std::move(file)), hparams_(std::move(hparams)) {}

  // The final hidden states x (T, D) of the batch's tokens; `last` (T) is each token's
  // sequence's last position, kv holds one layer's K and V rows of every sequence.
  void forward(const Batch& batch, std::span<const int32_t> last, KvCache& kv, ThreadPool& pool,
               std::vector<float>& x) const;

  std::shared_ptr<const GgufFile> file_;
  ModelHParams hparams_;
  Pooling pooling_ = Pooling::mean;
  bool causal_ = false;
  BertWeights weights_;
  std::vector<std::shared_ptr<const void>> packed_;  // the buffers behind WeightMatrix::packed
};

}  // namespace tachyon
