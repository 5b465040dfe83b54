#pragma once
// Embeddings from a decoder (the bundled model, any llama, qwen2, phi3, gemma2 or mpt file): each input runs through the
// decoder alone, causally, and the final norm's hidden states are pooled (mean by default), as
// llama.cpp's embedding mode does for a decoder. An Encoder, so the embedding engine and the API
// serve it like BERT. It borrows the model, which must outlive it; each input gets its own F32
// KV rows, so results never depend on what else is embedded.
#include <memory>

#include "model/cpu_model.h"
#include "model/encoder.h"

namespace tachyon {

class DecoderEmbedder final : public Encoder {
 public:
  explicit DecoderEmbedder(const CpuModel& model) : model_(model) {}

  const ModelHParams& hparams() const override { return model_.hparams(); }
  Pooling pooling() const override { return Pooling::mean; }
  bool causal() const override { return true; }
  Result<std::vector<EncoderOutput>> embed(std::span<const std::vector<int32_t>> inputs, Pooling pooling,
                                           ThreadPool& pool) const override;

 private:
  const CpuModel& model_;
};

}  // namespace tachyon
