#pragma once
// What every CPU forward pass shares, whatever its architecture: the mapped file, the common
// hyper-parameters, the packed copies of its matrices, and KV storage in host memory. Each
// architecture (llama_model.h, mpt_model.h, ...) derives from it and implements its forward pass top to
// bottom in its own file (final_hidden_states, output_logits).
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/forward_pass.h"
#include "model/model_hparams.h"

namespace tachyon {

class CpuModel : public ForwardPass {
 public:
  const ModelHParams& hparams() const override { return hparams_; }
  const GgufFile& file() const { return *file_; }
  std::string device_name() const override { return "cpu"; }
  // Host memory: PagedKvCache and ContiguousKvCache, one K and one V row per (layer, position).
  KvShape kv_shape(KvDType dtype) const override;
  Result<std::unique_ptr<KvCache>> make_paged_kv(KvShape shape, KvBlockManager& blocks) const override;
  Result<std::unique_ptr<KvCache>> make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                      int32_t max_positions) const override;

  // forward() is final_hidden_states() then output_logits(): every architecture's logits come
  // from its final hidden states, which embeddings of a decoder are pooled from.
  Status forward(const Batch& batch, KvCache& kv, ThreadPool& pool, std::vector<float>& logits) const final;
  // The final hidden states (after the output norm, before the output matrix) of the rows that
  // want logits: (n_out, n_embd), in batch order; otherwise forward()'s contract. Implemented by
  // each architecture in its <arch>_forward.cpp, top to bottom.
  virtual Status final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                     std::vector<float>& hidden) const = 0;

  // True when the output matrix is token_embd.weight (no output.weight in the file).
  virtual bool tied_embeddings() const = 0;
  // Metadata the file sets that this build reads but does not apply yet, one line each
  // (shown by `tachyon model info`); empty when every setting is honoured.
  virtual std::vector<std::string> unsupported_settings() const { return {}; }

 protected:
  // logits (n_out, n_vocab) from final hidden states (n_out, n_embd): the output matrix, and
  // whatever the architecture applies after it (Gemma 2's soft-cap).
  virtual void output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const = 0;

  CpuModel(std::shared_ptr<const GgufFile> file, ModelHParams hparams)
      : file_(std::move(file)), hparams_(std::move(hparams)) {}

  std::shared_ptr<const GgufFile> file_;
  ModelHParams hparams_;
  std::vector<std::shared_ptr<const void>> packed_;  // the buffers behind WeightMatrix::packed
};

}  // namespace tachyon
