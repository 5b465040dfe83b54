#include "kernels/matmul.h"

#include <algorithm>
#include <iterator>
#include <span>
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

// Packed groups [begin, end) of one matrix (laid out as `layout` says) for every token, panel by
// panel, kGroupsPerTile groups at a time; a column tile after the first adds to the sums the
// ones before it left in y.
void packed_groups(const WeightMatrix& w, const PackedLayout& layout, float* y, int64_t begin, int64_t end,
                   const uint8_t* acts, size_t act_row_bytes, int64_t n_tokens, PackedDotFn dot, PackedDotFn pair) {
  const PackedActFormat format = packed_activation_format(w.type);
  const uint8_t* packed = static_cast<const uint8_t*>(w.packed);
  const size_t out_stride = static_cast<size_t>(w.n_rows);
  const int64_t chunk = packed_tokens(w.type);
  // The calls of one column tile (first_col) for groups [g0, g1) of one panel and tokens [t, t + chunk).
  const auto tile_calls = [&](int64_t first_col, int64_t g0, int64_t g1, int64_t t) {
    const int64_t cols = layout.tile_width(first_col);
    const uint8_t* groups = packed + layout.group_offset(g0, first_col);  // then one after another
    const size_t group_bytes = layout.group_bytes(cols);
    const uint8_t* tile_acts = acts + packed_activation_row_bytes(format, first_col) + static_cast<size_t>(t) * act_row_bytes;
    const int n = static_cast<int>(std::min<int64_t>(chunk, n_tokens - t));
    const auto call = [&](PackedDotFn fn, int64_t g) {
      fn(cols, groups + static_cast<size_t>(g - g0) * group_bytes, tile_acts, act_row_bytes, n, first_col > 0,
         y + static_cast<size_t>(t) * out_stride + static_cast<size_t>(g * kPackRows), out_stride);
    };
    int64_t g = g0;
    // Two groups a call where the level has a pair kernel (same bits) and the tile's weights
    // are read for more than one call's tokens (prompts, larger batches), so come from cache:
    // streamed from memory (decode of up to packed_tokens sequences), one group a call is faster.
    for (; pair != nullptr && n_tokens > chunk && g + 1 < g1; g += 2) call(pair, g);
    for (; g < g1; ++g) call(dot, g);
  };
  for (int64_t panel = begin; panel < end;) {
    const int64_t panel_end = std::min(end, (panel / kPackedPanelGroups + 1) * kPackedPanelGroups);
    if (n_tokens <= chunk) {
      // Decode: each column tile over the whole panel, so the panel is one stream.
      for (int64_t first_col = 0; first_col < w.n_cols; first_col += layout.tile_cols)
        for (int64_t tile = panel; tile < panel_end; tile += kGroupsPerTile)
          tile_calls(first_col, tile, std::min(panel_end, tile + kGroupsPerTile), 0);
    } else {
      // Prompts: a group tile's whole rows for each token chunk, its weights hot in cache.
      for (int64_t tile = panel; tile < panel_end; tile += kGroupsPerTile)
        for (int64_t t = 0; t < n_tokens; t += chunk)
          for (int64_t first_col = 0; first_col < w.n_cols; first_col += layout.tile_cols)
            tile_calls(first_col, tile, std::min(panel_end, tile + kGroupsPerTile), t);
    }
    panel = panel_end;
  }
}

// Every target packed, all with x's n_cols: one activation conversion per format the targets
// read, one parallel loop over the row groups of all targets together (numbered target after
// target).
void packed_matmul(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens, ThreadPool& pool) {
  const int64_t n_cols = targets.front().w->n_cols;
  constexpr PackedActFormat kFormats[] = {PackedActFormat::Blocks32, PackedActFormat::SuperBlocks256,
                                          PackedActFormat::F16Values, PackedActFormat::BF16Values};
  thread_local std::vector<uint8_t> converted[std::size(kFormats)];
  // Pointers into the caller's thread_local buffers: the worker threads have their own.
  uint8_t* acts_of[std::size(kFormats)] = {};
  size_t act_row_bytes[std::size(kFormats)] = {};
  for (size_t f = 0; f < std::size(kFormats); ++f) {
    const bool used = std::any_of(targets.begin(), targets.end(), [&](const MatmulTarget& target) {
      return packed_activation_format(target.w->type) == kFormats[f];
    });
    if (!used) continue;
    act_row_bytes[f] = packed_activation_row_bytes(kFormats[f], n_cols);
    converted[f].resize(act_row_bytes[f] * static_cast<size_t>(n_tokens));
    uint8_t* acts = acts_of[f] = converted[f].data();
    pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end, int) {
      for (int64_t t = begin; t < end; ++t) {
        convert_packed_activation_row(kFormats[f], x + t * n_cols, acts + static_cast<size_t>(t) * act_row_bytes[f], n_cols);
      }
    });
  }

  // What each target's share of the loop needs, worked out once. The loop's unit is a group, or
  // a panel where a matrix has several column tiles: a run of a panel's tiles is one unbroken
  // stream, which a range starting or ending inside the panel would break at every tile.
  struct Part {
    PackedLayout layout;
    int64_t unit_groups, n_units;
    size_t format;
    PackedDotFn dot, pair;
  };
  std::vector<Part> parts;
  int64_t total_units = 0;
  for (const MatmulTarget& target : targets) {
    const WeightMatrix& w = *target.w;
    const PackedLayout layout = packed_layout(w.type, w.n_rows, w.n_cols);
    const int64_t unit_groups = layout.tile_cols < w.n_cols ? kPackedPanelGroups : 1;
    const int64_t n_units = (layout.n_groups() + unit_groups - 1) / unit_groups;
    parts.push_back({layout, unit_groups, n_units, static_cast<size_t>(packed_activation_format(w.type)),
                     resolve_packed_dot(active_isa(), w.type), resolve_packed_dot_pair(active_isa(), w.type)});
    total_units += n_units;
  }
  pool.parallel_for(total_units, [&](int64_t begin, int64_t end, int) {
    int64_t first = 0;  // global number of the current target's unit 0
    for (size_t i = 0; i < targets.size(); ++i) {
      const Part& p = parts[i];
      const int64_t lo = std::max(begin, first), hi = std::min(end, first + p.n_units);
      if (lo < hi) {
        packed_groups(*targets[i].w, p.layout, targets[i].y, (lo - first) * p.unit_groups,
                      std::min(p.layout.n_groups(), (hi - first) * p.unit_groups), acts_of[p.format],
                      act_row_bytes[p.format], n_tokens, p.dot, p.pair);
      }
      first += p.n_units;
    }
  });
}

}  // namespace

void matmul(const WeightMatrix& w, const float* x, float* y, int64_t n_tokens, ThreadPool& pool) {
  if (n_tokens <= 0 || w.n_rows <= 0) return;
  if (w.packed != nullptr) {
    const MatmulTarget target{&w, y};
    return packed_matmul({&target, 1}, x, n_tokens, pool);
  }
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

void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens, ThreadPool& pool) {
  if (n_tokens <= 0 || targets.empty()) return;
  const bool all_packed = std::all_of(targets.begin(), targets.end(), [&](const MatmulTarget& t) {
    return t.w->packed != nullptr && t.w->n_cols == targets.front().w->n_cols;
  });
  if (all_packed) return packed_matmul(targets, x, n_tokens, pool);
  for (const MatmulTarget& t : targets) matmul(*t.w, x, t.y, n_tokens, pool);
}

}  // namespace tachyon
