#include "kv/paged_kv_cache.h"

#include <new>

#include "util/huge_pages.h"

namespace tachyon {

PagedKvCache::PagedKvCache(KvShape shape, KvBlockManager& blocks)
    : shape_(shape), blocks_(blocks),
      block_bytes_(size_t(shape.n_layer) * size_t(blocks.block_size()) * size_t(shape.row_bytes())),
      // Zeroed, so every page is touched now rather than on first use: the pool is what the
      // operator reserved (--kv-memory-mib), the process's RSS shows it from the start instead of
      // creeping up to it over hours, and no page fault lands in a serving step. Huge pages:
      // attention reads one head's slice of each row, a stride that misses the TLB on every
      // 4 KiB page.
      k_(allocate_zeroed(block_bytes_ * size_t(blocks.n_blocks()))),
      v_(allocate_zeroed(block_bytes_ * size_t(blocks.n_blocks()))) {
  if (k_ == nullptr || v_ == nullptr) throw std::bad_alloc();
}

Status PagedKvCache::reserve(int32_t seq_id, int32_t n_positions) {
  const size_t held = blocks_.block_table(seq_id).size() * size_t(blocks_.block_size());
  if (n_positions < 0 || size_t(n_positions) > held)
    return make_error(ErrorKind::Internal, "sequence {} needs {} positions but holds KV blocks for {}", seq_id, n_positions, held);
  return Status::success();
}

size_t PagedKvCache::offset(int64_t layer, int32_t seq_id, int32_t pos) const {
  const int32_t block_size = blocks_.block_size();
  const BlockId block = blocks_.block_table(seq_id)[size_t(pos / block_size)];
  return size_t(block) * block_bytes_ +
         (size_t(layer) * size_t(block_size) + size_t(pos % block_size)) * size_t(shape_.row_bytes());
}

uint8_t* PagedKvCache::k_row(int64_t layer, int32_t seq_id, int32_t pos) { return k_.get() + offset(layer, seq_id, pos); }

uint8_t* PagedKvCache::v_row(int64_t layer, int32_t seq_id, int32_t pos) { return v_.get() + offset(layer, seq_id, pos); }

}  // namespace tachyon
