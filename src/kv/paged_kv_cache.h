#pragma once
// KvCache over a pool of fixed-size blocks: a sequence's position pos lives in block
// block_table(seq)[pos / block_size] of the KvBlockManager, at row pos % block_size. Sequences
// that share a prompt prefix read the same blocks; a sequence writes only the positions it
// computes, which always lie in blocks it holds alone. Same threading rules as KvCache.
#include <memory>

#include "kv/kv_block_manager.h"
#include "kv/kv_cache.h"

namespace tachyon {

class PagedKvCache final : public KvCache {
 public:
  // Storage for every block of the manager; the manager must outlive the cache.
  PagedKvCache(KvShape shape, KvBlockManager& blocks);

  const KvShape& shape() const override { return shape_; }
  // Checks that the block manager has allocated positions [0, n_positions) of seq_id; blocks are
  // allocated by the scheduler, never here, so an Error means the plan and the batch disagree.
  Status reserve(int32_t seq_id, int32_t n_positions) override;
  uint8_t* k_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  uint8_t* v_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  // Nothing to do: a sequence's blocks are released through KvBlockManager::free (the scheduler's
  // finish), and their rows are overwritten before they are read again.
  void clear(int32_t seq_id) override {}

  // Bytes of one K (or V) block: (n_layer, block_size, row).
  size_t block_bytes() const { return block_bytes_; }

 private:
  size_t offset(int64_t layer, int32_t seq_id, int32_t pos) const;

  KvShape shape_;
  KvBlockManager& blocks_;
  size_t block_bytes_;
  // (n_blocks, n_layer, block_size, row_bytes), zeroed.
  std::shared_ptr<uint8_t> k_;
  std::shared_ptr<uint8_t> v_;
};

}  // namespace tachyon
