#pragma once
// Device-side address of a (layer, token's sequence, position) row in the paged KV layout of
// CudaKvCache: (n_blocks, n_layer, block_size, n_kv_heads · head_dim).
#include "backend/cuda/kernels.h"

namespace tachyon::cuda {

__device__ __forceinline__ int64_t kv_row_index(const KvGeometry& kv, int64_t layer, int64_t token, int64_t pos) {
  const int64_t block = kv.block_ids[kv.table_offset[token] + pos / kv.block_size];
  return ((block * kv.n_layer + layer) * kv.block_size + pos % kv.block_size) * (kv.n_kv_heads * kv.head_dim);
}

}  // namespace tachyon::cuda
