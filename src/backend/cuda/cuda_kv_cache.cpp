#include "backend/cuda/cuda_kv_cache.h"

namespace tachyon::cuda {
namespace {

constexpr int32_t kContiguousBlockSize = 64;

// The device kernels read f16 and f32 rows.
Status device_supports(const KvShape& shape) {
  if (shape.dtype == KvDType::Q8_0) return make_error("--device cuda: the KV cache is f16 or f32, not q8_0");
  return Status::success();
}

}  // namespace

CudaKvCache::CudaKvCache(KvShape shape, KvBlockManager* blocks, std::unique_ptr<KvBlockManager> owned,
                         int32_t max_sequences, int32_t max_positions)
    : shape_(shape), blocks_(blocks), owned_blocks_(std::move(owned)), max_sequences_(max_sequences),
      max_positions_(max_positions) {}

Result<std::unique_ptr<CudaKvCache>> CudaKvCache::paged(KvShape shape, KvBlockManager& blocks) {
  if (Status s = device_supports(shape); !s) return s.error();
  std::unique_ptr<CudaKvCache> kv(new CudaKvCache(shape, &blocks, nullptr, 0, 0));
  if (Status s = kv->allocate_storage(); !s) return s.error();
  return kv;
}

Result<std::unique_ptr<CudaKvCache>> CudaKvCache::contiguous(KvShape shape, int32_t max_sequences,
                                                             int32_t max_positions) {
  if (max_sequences <= 0 || max_positions <= 0) return make_error("KV cache: sizes must be positive");
  if (Status s = device_supports(shape); !s) return s.error();
  const int32_t blocks_per_seq = (max_positions + kContiguousBlockSize - 1) / kContiguousBlockSize;
  auto owned = std::make_unique<KvBlockManager>(max_sequences * blocks_per_seq, kContiguousBlockSize, false);
  KvBlockManager* blocks = owned.get();
  std::unique_ptr<CudaKvCache> kv(new CudaKvCache(shape, blocks, std::move(owned), max_sequences, max_positions));
  if (Status s = kv->allocate_storage(); !s) return s.error();
  return kv;
}

Status CudaKvCache::allocate_storage() {
  const size_t bytes = size_t(blocks_->n_blocks()) * size_t(shape_.n_layer) * size_t(blocks_->block_size()) *
                       size_t(shape_.row_bytes());
  if (Status s = k_.allocate(bytes, "KV cache (K) in device memory"); !s) return s;
  return v_.allocate(bytes, "KV cache (V) in device memory");
}

Status CudaKvCache::reserve(int32_t seq_id, int32_t n_positions) {
  if (owned_blocks_) {
    if (seq_id < 0 || seq_id >= max_sequences_ || n_positions > max_positions_)
      return make_error("sequence {} position {} is beyond the KV cache ({} sequences of {} positions)", seq_id,
                        n_positions - 1, max_sequences_, max_positions_);
    if (!blocks_->allocate(seq_id, n_positions))
      return make_error(ErrorKind::Internal, "KV cache: no free block for sequence {}", seq_id);
    return Status::success();
  }
  const size_t held = blocks_->block_table(seq_id).size() * size_t(blocks_->block_size());
  if (n_positions < 0 || size_t(n_positions) > held)
    return make_error(ErrorKind::Internal, "sequence {} needs {} positions but holds KV blocks for {}", seq_id,
                      n_positions, held);
  return Status::success();
}

size_t CudaKvCache::offset(int64_t layer, int32_t seq_id, int32_t pos) const {
  const int32_t block_size = blocks_->block_size();
  const BlockId block = blocks_->block_table(seq_id)[size_t(pos / block_size)];
  return ((size_t(block) * size_t(shape_.n_layer) + size_t(layer)) * size_t(block_size) + size_t(pos % block_size)) *
         size_t(shape_.row_bytes());
}

uint8_t* CudaKvCache::k_row(int64_t layer, int32_t seq_id, int32_t pos) {
  return k_.get<uint8_t>() + offset(layer, seq_id, pos);
}

uint8_t* CudaKvCache::v_row(int64_t layer, int32_t seq_id, int32_t pos) {
  return v_.get<uint8_t>() + offset(layer, seq_id, pos);
}

void CudaKvCache::clear(int32_t seq_id) {
  if (owned_blocks_) owned_blocks_->free(seq_id);
}

}  // namespace tachyon::cuda
