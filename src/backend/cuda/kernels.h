#pragma once
// Launchers of the CUDA kernels, one kernel per .cu file, each with its CPU reference twin named
// beside it (tests/backend compares them). Plain C++: callable from host code compiled without
// nvcc. Pointers are device memory unless a comment says otherwise; every launcher queues its
// work on `stream` and returns the launch error (the kernel's own faults surface at the next
// synchronisation).
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace tachyon::cuda {

// A weight matrix in device memory, in the GGUF file's layout: n_rows rows of row_bytes bytes.
struct DeviceMatrix {
  uint32_t type = 0;  // GgmlType
  const uint8_t* data = nullptr;
  int64_t n_rows = 0;
  int64_t n_cols = 0;
  size_t row_bytes = 0;
};

// True for the weight types the kernels dequantize: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
bool weight_type_supported(uint32_t type);

// x (n_tokens, n_cols) = rows tokens[t] of the table, dequantized to f32.
// Twin: gguf/quantize.h dequantize_row.
cudaError_t embed_rows(const DeviceMatrix& table, const int32_t* tokens, int64_t n_tokens, float* x,
                       cudaStream_t stream);

// y (n_tokens, w.n_rows) = (accumulate ? y : 0) + x (n_tokens, w.n_cols) · Wᵀ.
// x is given twice: as f32 (read for F32 weights) and rounded to f16 by to_half (read for every
// other type), x_half's buffer holding whole tiles of 64 rows (rows past n_tokens are read and
// their results dropped). Quantized and 16-bit weights are dequantized to f16 and multiplied on
// the tensor cores with f32 sums; the columns are cut into kMatmulSplits fixed segments, each
// summed 16 columns at a time in ascending order, and the segments' sums are added in order. F32
// weights: f32 FMAs in a fixed lane order. Either way y[t][r] depends only on x[t] and row r, never
// on n_tokens or the launch shape: batch invariant. Twin: kernels/matmul.h (within rounding).
inline constexpr int kMatmulSplits = 4;
inline constexpr int64_t kHalfRowTile = 64;
cudaError_t matmul(const DeviceMatrix& w, const float* x, const uint16_t* x_half, float* y, int64_t n_tokens,
                   bool accumulate, cudaStream_t stream);

// y = x rounded to f16 (bits), n values. Twin: util/fp16.h f32_to_fp16.
cudaError_t to_half(const float* x, uint16_t* y, int64_t n, cudaStream_t stream);

// y[i] = rmsnorm(x[rows ? rows[i] : i]) * weight for i in [0, n_out); x, y (·, n) f32.
// Twin: kernels/vector_ops.h rms_norm.
cudaError_t rms_norm(const float* x, const float* weight, float* y, const int32_t* rows, int64_t n_out, int64_t n,
                     float eps, cudaStream_t stream);

// gate = silu(gate) * up, elementwise over n values. Twin: kernels/vector_ops.h silu_mul.
cudaError_t silu_mul(float* gate, const float* up, int64_t n, cudaStream_t stream);

// Where a token's KV rows live: the paged layout (n_blocks, n_layer, block_size, n_kv_heads, head_dim)
// of CudaKvCache; token t's sequence has its block ids at block_ids[table_offset[t]...].
struct KvGeometry {
  void* k = nullptr;
  void* v = nullptr;
  bool f16 = true;  // element type of k and v: f16, else f32
  int64_t n_layer = 0;
  int64_t block_size = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  const int32_t* block_ids = nullptr;
  const int32_t* table_offset = nullptr;  // (n_tokens)
  const int32_t* positions = nullptr;     // (n_tokens)
};

struct RopeGeometry {
  int64_t n_rot = 0;
  float theta_scale = 1;  // freq_base^(-2/n_rot)
  float freq_scale = 1;
  const float* freq_factors = nullptr;  // (n_rot / 2) or null
};

// Rotates q (n_tokens, n_head, head_dim) in place, rotates k (n_tokens, n_kv_heads, head_dim) and
// stores it and v into the cache rows of (token's sequence, position) of `layer`.
// Twin: model/rope.h rope_angles + rope_apply, and the f16 store of the CPU forward pass.
cudaError_t rope_store_kv(const RopeGeometry& rope, const KvGeometry& kv, int64_t layer, float* q,
                          const float* k, const float* v, int64_t n_tokens, int64_t n_head, cudaStream_t stream);

// out (n_tokens, n_head, head_dim) = causal softmax(q·Kᵀ/√d)·V over the token's own sequence
// (positions max(0, pos - window + 1)..pos; window 0: all), query head h reading KV head
// h / (n_head / n_kv_heads). The positions of one token are always combined in the same order,
// whatever else is in the batch. Twin: model/attention.h attend_kv_group.
cudaError_t attention(const KvGeometry& kv, int64_t layer, const float* q, float* out, int64_t n_tokens,
                      int64_t n_head, int64_t sliding_window, cudaStream_t stream);

}  // namespace tachyon::cuda
