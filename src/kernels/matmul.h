#pragma once
// Weight-matrix times activations for the linear layers of a forward pass.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/ggml_type.h"
#include "util/thread_pool.h"

namespace tachyon {

// A row-major weight matrix as stored in a GGUF file (rows are output features); a view
// that does not own its data.
struct WeightMatrix {
  GgmlType type;
  const void* data;
  int64_t n_rows;    // output features
  int64_t n_cols;    // input features; a multiple of the type's block size
  size_t row_bytes;  // ggml_row_size(type, n_cols)
  // The same rows in the packed layout (kernels/packed_weights.h), owned by whoever packed
  // them, or nullptr. When set, matmul reads only this copy.
  const void* packed = nullptr;
};

// y[t][r] = dot(W row r, x[t]) for t in [0, n_tokens), r in [0, n_rows), with the kernels of
// active_isa(). x: (n_tokens, n_cols) f32 row-major; y: (n_tokens, n_rows).
// Each activation row is converted once; output rows (not tokens) are split across the
// pool's threads; groups of tokens share each weight-row read (multi-column or packed
// kernels). Batch invariant: y[t][r] is bit-identical whatever n_tokens is and whichever
// thread computes it. Called from one thread at a time (it drives `pool`).
void matmul(const WeightMatrix& w, const float* x, float* y, int64_t n_tokens, ThreadPool& pool);

// One output of matmul_many: y = W x, y (n_tokens, w->n_rows).
struct MatmulTarget {
  const WeightMatrix* w;
  float* y;
};

// matmul of one input by several matrices with the same n_cols (q/k/v, gate/up): results
// bit-identical to one matmul per target. When every target is packed, the activations are
// converted once and one parallel loop covers all targets' rows (one pool hand-off, not one
// per matrix, and a single balanced split of the work).
void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens, ThreadPool& pool);

}  // namespace tachyon
