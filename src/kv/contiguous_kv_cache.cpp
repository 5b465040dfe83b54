#include "kv/contiguous_kv_cache.h"

#include "util/huge_pages.h"

namespace tachyon {

ContiguousKvCache::ContiguousKvCache(KvShape shape, int32_t max_sequences, int32_t max_positions)
    : shape_(shape), max_sequences_(max_sequences), max_positions_(max_positions),
      k_(max_sequences), v_(max_sequences) {}

Status ContiguousKvCache::reserve(int32_t seq_id, int32_t n_positions) {
  if (seq_id < 0 || seq_id >= max_sequences_)
    return make_error("sequence id {} out of range (the cache holds {} sequences)", seq_id, max_sequences_);
  if (n_positions > max_positions_)
    return make_error("sequence needs {} positions but the context holds {}", n_positions, max_positions_);
  if (k_[seq_id] == nullptr) {
    // Allocated whole on first use so rows never move while attention reads them.
    const size_t bytes = size_t(shape_.n_layer) * size_t(max_positions_) * size_t(shape_.row_bytes());
    k_[seq_id] = allocate_zeroed(bytes);
    v_[seq_id] = allocate_zeroed(bytes);
    if (k_[seq_id] == nullptr || v_[seq_id] == nullptr) {
      clear(seq_id);
      return make_error("out of memory for the KV cache of a sequence ({} bytes)", 2 * bytes);
    }
  }
  return Status::success();
}

size_t ContiguousKvCache::offset(int64_t layer, int32_t pos) const {
  return (size_t(layer) * size_t(max_positions_) + size_t(pos)) * size_t(shape_.row_bytes());
}

uint8_t* ContiguousKvCache::k_row(int64_t layer, int32_t seq_id, int32_t pos) {
  return k_[seq_id].get() + offset(layer, pos);
}

uint8_t* ContiguousKvCache::v_row(int64_t layer, int32_t seq_id, int32_t pos) {
  return v_[seq_id].get() + offset(layer, pos);
}

void ContiguousKvCache::clear(int32_t seq_id) {
  if (seq_id < 0 || seq_id >= max_sequences_) return;
  k_[seq_id].reset();
  v_[seq_id].reset();
}

}  // namespace tachyon
