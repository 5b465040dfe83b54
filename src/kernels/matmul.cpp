#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/packed_weights.h"
#include "kernels/vec_dot.h"

namespace tachyon {

namespace {

// Output rows per tile: a tile of weight rows is reused for every token while it is hot in
// cache. Tiling changes only the loop order, never the arithmetic of one dot product.
constexpr int64_t kRowsPerTile = 16;
// Packed row groups per tile: a tile (about 70 KiB of Q8_0 at 2048 columns) stays in L2 while
// every token chunk passes over it, and one chunk's activations stay in L1 across the tile.
constexpr int64_t kGroupsPerTile = 4;

void packed_matmul(const WeightMatrix& w, const float* x, float* y, int64_t n_tokens, ThreadPool& pool) {
  const PackedDotFn dot = resolve_packed_dot(active_isa(), w.type);
  const int64_t n_cols = w.n_cols;
  const size_t act_row_bytes = packed_activation_row_bytes(n_cols);
  thread_local std::vector<uint8_t> converted;
  converted.resize(act_row_bytes * static_cast<size_t>(n_tokens));
  uint8_t* acts = converted.data();
  pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      convert_packed_activation_row(x + t * n_cols, acts + static_cast<size_t>(t) * act_row_bytes, n_cols);
    }
  });

  const size_t group_bytes = packed_group_bytes(w.type, n_cols);
  const uint8_t* groups = static_cast<const uint8_t*>(w.packed);
  const size_t out_stride = static_cast<size_t>(w.n_rows);
  pool.parallel_for(w.n_rows / kPackRows, [&](int64_t begin, int64_t end, int) {
    for (int64_t tile = begin; tile < end; tile += kGroupsPerTile) {
      const int64_t tile_end = std::min(end, tile + kGroupsPerTile);
      for (int64_t t = 0; t < n_tokens; t += kPackedTokens) {
        const int n = static_cast<int>(std::min<int64_t>(kPackedTokens, n_tokens - t));
        for (int64_t g = tile; g < tile_end; ++g) {
          dot(n_cols, groups + static_cast<size_t>(g) * group_bytes, acts + static_cast<size_t>(t) * act_row_bytes,
              act_row_bytes, n, y + static_cast<size_t>(t) * out_stride + static_cast<size_t>(g * kPackRows),
              out_stride);
        }
      }
    }
  });
}

}  // namespace

void matmul(const WeightMatrix& w, const float* x, float* y, int64_t n_tokens, ThreadPool& pool) {
  if (n_tokens <= 0 || w.n_rows <= 0) return;
  if (w.packed != nullptr) return packed_matmul(w, x, y, n_tokens, pool);
  const VecDotFn dot = resolve_vec_dot(active_isa(), w.type);
  const int64_t n_cols = w.n_cols;

  // F32 weights take the activations as they are; other types get one converted copy.
  const void* activations = x;
  size_t act_row_bytes = static_cast<size_t>(n_cols) * sizeof(float);
  thread_local std::vector<uint8_t> converted;
  if (vec_dot_type(w.type) != GgmlType::F32) {
    act_row_bytes = activation_row_bytes(w.type, n_cols);
    converted.resize(act_row_bytes * static_cast<size_t>(n_tokens));
    uint8_t* dst = converted.data();
    pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end, int) {
      for (int64_t t = begin; t < end; ++t) {
        convert_activation_row(w.type, x + t * n_cols, dst + static_cast<size_t>(t) * act_row_bytes, n_cols);
      }
    });
    activations = dst;
  }

  // Whole groups of kVecDotColumns tokens go through the multi-column kernel, which reads each
  // weight row once per group; it is bit-identical to `dot`, so the grouping (which depends
  // on n_tokens) cannot change any result.
  const VecDotColumnsFn dot_columns = resolve_vec_dot_columns(active_isa(), w.type);
  const int64_t grouped_tokens = dot_columns != nullptr ? n_tokens - n_tokens % kVecDotColumns : 0;

  const uint8_t* weight_bytes = static_cast<const uint8_t*>(w.data);
  const uint8_t* act_bytes = static_cast<const uint8_t*>(activations);
  pool.parallel_for(w.n_rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t tile = begin; tile < end; tile += kRowsPerTile) {
      const int64_t tile_end = std::min(end, tile + kRowsPerTile);
      for (int64_t t = 0; t < grouped_tokens; t += kVecDotColumns) {
        const void* act_rows = act_bytes + static_cast<size_t>(t) * act_row_bytes;
        float* y_rows = y + t * w.n_rows;
        for (int64_t r = tile; r < tile_end; ++r) {
          float out[kVecDotColumns];
          const void* w_row = weight_bytes + static_cast<size_t>(r) * w.row_bytes;
          dot_columns(n_cols, w_row, act_rows, act_row_bytes, out);
          for (int c = 0; c < kVecDotColumns; ++c) y_rows[c * w.n_rows + r] = out[c];
        }
      }
      for (int64_t t = grouped_tokens; t < n_tokens; ++t) {
        const void* act_row = act_bytes + static_cast<size_t>(t) * act_row_bytes;
        float* y_row = y + t * w.n_rows;
        for (int64_t r = tile; r < tile_end; ++r) {
          y_row[r] = dot(n_cols, weight_bytes + static_cast<size_t>(r) * w.row_bytes, act_row);
        }
      }
    }
  });
}

}  // namespace tachyon
