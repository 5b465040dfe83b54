#pragma once
// KvCache with one contiguous [layer][position][row] slab per sequence, sized for max_positions.
// Simple and fast; the paged block cache replaces it when memory must be shared across requests.
#include <cstdint>
#include <memory>
#include <vector>

#include "kv/kv_cache.h"

namespace tachyon {

class ContiguousKvCache final : public KvCache {
 public:
  ContiguousKvCache(KvShape shape, int32_t max_sequences, int32_t max_positions);

  const KvShape& shape() const override { return shape_; }
  Status reserve(int32_t seq_id, int32_t n_positions) override;
  uint8_t* k_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  uint8_t* v_row(int64_t layer, int32_t seq_id, int32_t pos) override;
  void clear(int32_t seq_id) override;

  int32_t max_positions() const { return max_positions_; }

 private:
  size_t offset(int64_t layer, int32_t pos) const;

  KvShape shape_;
  int32_t max_sequences_;
  int32_t max_positions_;
  // Per sequence: (layer, position, row_bytes) on huge pages, allocated on first use; null until then.
  std::vector<std::shared_ptr<uint8_t>> k_;
  std::vector<std::shared_ptr<uint8_t>> v_;
};

}  // namespace tachyon
