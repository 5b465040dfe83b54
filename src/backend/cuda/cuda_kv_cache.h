#pragma once
// KvCache in device memory, in PagedKvCache's layout (n_blocks, n_layer, block_size, row): the
// serving engine's blocks from its KvBlockManager, or, for single runs and benchmarks, blocks of
// a manager this cache owns, taken as sequences grow. k_row and v_row return device addresses
// (not dereferenceable on the host); the CUDA forward pass reads rows through block tables.
#include <memory>

#include "backend/cuda/device_buffer.h"
#include "kv/kv_block_manager.h"
#include "kv/kv_cache.h"

namespace tachyon::cuda {

class CudaKvCache final : public KvCache {
 public:
  // Over an external manager (it must outlive the cache); reserve only checks the plan.
  static Result<std::unique_ptr<CudaKvCache>> paged(KvShape shape, KvBlockManager& blocks);
  // Room for max_sequences sequences of max_positions positions; reserve allocates blocks.
  static Result<std::unique_ptr<CudaKvCache>> contiguous(KvShape shape, int32_t max_sequences, int32_t max_positions);

  const KvShape& shape() const override { return shape_; }
  Status reserve(int32_t seq_id, int32_t n_positions) override;
  uint8_t* k_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  uint8_t* v_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  void clear(int32_t seq_id) override;

  const KvBlockManager& blocks() const { return *blocks_; }
  void* k_base() const { return k_.get(); }
  void* v_base() const { return v_.get(); }

 private:
  CudaKvCache(KvShape shape, KvBlockManager* blocks, std::unique_ptr<KvBlockManager> owned, int32_t max_sequences,
              int32_t max_positions);
  Status allocate_storage();
  size_t offset(int64_t layer, int32_t seq_id, int32_t pos) const;

  KvShape shape_;
  KvBlockManager* blocks_;
  std::unique_ptr<KvBlockManager> owned_blocks_;  // set for contiguous caches
  int32_t max_sequences_ = 0;
  int32_t max_positions_ = 0;
  DeviceBuffer k_;
  DeviceBuffer v_;
};

}  // namespace tachyon::cuda
