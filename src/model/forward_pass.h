#pragma once
// The forward pass of one loaded model on one device, as the engine, the benchmarks and the
// command-line tools drive it. The CPU implementation is LlamaModel itself; other devices
// (backend/) implement it over the same hyper-parameters and weights, so the scheduler, the KV
// block manager, the sampler and the API never learn where the arithmetic runs.
#include <memory>
#include <string>
#include <vector>

#include "kv/kv_block_manager.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/model_hparams.h"
#include "util/result.h"
#include "util/thread_pool.h"

namespace tachyon {

class ForwardPass {
 public:
  virtual ~ForwardPass() = default;

  virtual const ModelHParams& hparams() const = 0;
  virtual KvShape kv_shape(KvDType dtype) const = 0;
  // "cpu", "cuda:0 (NVIDIA H200)", ...: where forward() runs.
  virtual std::string device_name() const = 0;

  // KV storage that this device's forward() reads: paged over the manager's blocks (the serving
  // engine; the manager must outlive the cache), or one slab of max_positions per sequence.
  virtual Result<std::unique_ptr<KvCache>> make_paged_kv(KvShape shape, KvBlockManager& blocks) const = 0;
  virtual Result<std::unique_ptr<KvCache>> make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                              int32_t max_positions) const = 0;

  // Runs the batch: writes each token's K/V into kv at (seq, position), attends over positions
  // 0..position of its own sequence, and returns logits (n_wanted, n_vocab) on the host for the
  // rows with want_logits set, in batch order. kv must come from this object's make_*_kv. Called
  // from one thread at a time per kv; pool is the CPU thread pool (devices may ignore it).
  virtual Status forward(const Batch& batch, KvCache& kv, ThreadPool& pool, std::vector<float>& logits) const = 0;
};

}  // namespace tachyon
