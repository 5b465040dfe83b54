#pragma once
// The llama forward pass on one CUDA device: the same steps as model/llama_forward.cpp, each a
// kernel of kernels.h on one stream, over weights uploaded once in their file types and a
// CudaKvCache. Not reentrant: forward() calls are serialised by a mutex.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cuda/device_buffer.h"
#include "backend/cuda/kernels.h"
#include "model/forward_pass.h"
#include "model/llama_model.h"

namespace tachyon::cuda {

struct CudaLayerWeights {
  DeviceMatrix wq, wk, wv, wo, w_gate, w_up, w_down;
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;
};

class CudaLlama final : public ForwardPass {
 public:
  static Result<std::unique_ptr<CudaLlama>> create(const LlamaModel& model);
  ~CudaLlama() override;

  const ModelHParams& hparams() const override { return model_.hparams(); }
  KvShape kv_shape(KvDType dtype) const override { return model_.kv_shape(dtype); }
  std::string device_name() const override { return device_name_; }
  Result<std::unique_ptr<KvCache>> make_paged_kv(KvShape shape, KvBlockManager& blocks) const override;
  Result<std::unique_ptr<KvCache>> make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                      int32_t max_positions) const override;
  Status forward(const Batch& batch, KvCache& kv, ThreadPool& pool, std::vector<float>& logits) const override;

  // Bytes of weights on the device.
  size_t weight_bytes() const { return weights_.bytes(); }

 private:
  explicit CudaLlama(const LlamaModel& model) : model_(model) {}
  Status upload();
  Status ensure_scratch(int64_t n_tokens, size_t n_index) const;

  const LlamaModel& model_;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  DeviceBuffer weights_;  // every matrix and norm vector, one allocation
  DeviceMatrix token_embd_, output_;
  std::vector<CudaLayerWeights> layers_;
  const float* output_norm_ = nullptr;
  const float* rope_freq_factors_ = nullptr;

  // Per-forward scratch, grown on demand (guarded by mutex_).
  mutable std::mutex mutex_;
  mutable int64_t scratch_tokens_ = 0;
  mutable DeviceBuffer activations_;  // x, xn, q, k, v, attn, gate, up, logits
  mutable DeviceBuffer half_input_;   // the current matmul input as f16, whole tiles of rows
  mutable DeviceBuffer indices_;      // tokens, positions, table offsets, logit rows, block ids
  mutable PinnedBuffer host_indices_;
  mutable PinnedBuffer host_logits_;
};

}  // namespace tachyon::cuda
