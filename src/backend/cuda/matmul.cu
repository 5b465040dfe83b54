// Weight matrix × activations. Two kernels, chosen by weight type only (never by batch size, so a
// token's result does not depend on what it is batched with):
// - mma_matmul_kernel (every type but F32): a block of kMatmulSplits warps owns 16 weight rows and
//   16·NT tokens; warp w sums column segment w (a fixed cut of the row, the same for any batch) on
//   the tensor cores, 16 columns at a time in ascending order: F16 rows go straight from memory
//   into the fragments, other types are first dequantized to f16 in the warp's shared tile. The
//   activations (already f16) are read straight into the fragments. The segments' sums are then
//   added in segment order, so a (token, row) result is the same sequence of operations for any
//   NT or grid, and the launch shape is free to follow the batch size.
// - f32_matmul_kernel (F32 weights, kept exact): one warp per row, lane l summing columns
//   4l + 128i with FMAs, then a fixed butterfly across lanes.
#include <mma.h>

#include <mutex>

#include "backend/cuda/kernels.h"
#include "backend/cuda/type_dispatch.cuh"
#include "backend/cuda/weight_loads.cuh"

namespace tachyon::cuda {
namespace {

using namespace nvcuda;

constexpr int kBK = 256;      // columns dequantized per step
constexpr int kLd = kBK + 8;  // shared row stride in halfs: a multiple of 8, and rows start on other banks
constexpr int kThreads = kMatmulSplits * 32;

template <int NT>
constexpr size_t mma_smem_bytes() {
  return size_t(kMatmulSplits) * NT * 256 * sizeof(float) + size_t(kMatmulSplits) * 16 * kLd * sizeof(half);
}

__device__ __forceinline__ void store8_half(half* dst, const float v[8]) {
  half2 h[4];
  for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
  *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(h);
}

// Columns of one warp's segment: a multiple of 32 (whole quantization blocks) that depends only on
// the row length.
__host__ __device__ inline int64_t segment_columns(int64_t n_cols) {
  return (n_cols + kMatmulSplits * 32 - 1) / (kMatmulSplits * 32) * 32;
}

template <GgmlType T, int NT>
__global__ void __launch_bounds__(kThreads)
    mma_matmul_kernel(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_cols, const half* xh, float* y,
                      int64_t n_tokens, bool accumulate) {
  extern __shared__ __align__(128) unsigned char smem[];
  float* partial = reinterpret_cast<float*>(smem);  // (splits, NT, 16 tokens, 16 rows)
  half* tiles = reinterpret_cast<half*>(partial + kMatmulSplits * NT * 256);
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t row0 = int64_t(blockIdx.x) * 16;
  const int64_t tok0 = int64_t(blockIdx.y) * 16 * NT;
  const int64_t segment = segment_columns(n_cols);
  const int64_t k_begin = min(n_cols, warp * segment), k_end = min(n_cols, k_begin + segment);
  const half* x_tile = xh + tok0 * n_cols;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[NT];
  for (int n = 0; n < NT; ++n) wmma::fill_fragment(acc[n], 0.0f);

  if (T == GgmlType::F16 && row0 + 16 <= n_rows) {
    // Whole f16 rows: A fragments straight from the weights.
    const half* w_tile = reinterpret_cast<const half*>(w) + row0 * n_cols;
#pragma unroll 8
    for (int64_t k = k_begin; k < k_end; k += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
      wmma::load_matrix_sync(a, w_tile + k, unsigned(n_cols));
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b;
        wmma::load_matrix_sync(b, x_tile + 16 * n * n_cols + k, unsigned(n_cols));
        wmma::mma_sync(acc[n], a, b, acc[n]);
      }
    }
  } else {
    // Dequantize kBK columns of the 16 rows into this warp's tile (zeros past the last row), then
    // multiply; the same sums in the same order as the direct path.
    half* my_w = tiles + warp * 16 * kLd;
    for (int64_t k0 = k_begin; k0 < k_end; k0 += kBK) {
      const int64_t width = min(int64_t(kBK), k_end - k0);
#pragma unroll
      for (int i = 0; i < 16 * (kBK / 8) / 32; ++i) {
        const int c = lane + 32 * i;
        const int r = c / (kBK / 8), kk = (c % (kBK / 8)) * 8;
        if (kk >= width) continue;
        float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        if (row0 + r < n_rows) load8<T>(w + size_t(row0 + r) * row_bytes, k0 + kk, v);
        store8_half(my_w + r * kLd + kk, v);
      }
      __syncwarp();
      for (int kk = 0; kk < width; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
        wmma::load_matrix_sync(a, my_w + kk, kLd);
#pragma unroll
        for (int n = 0; n < NT; ++n) {
          wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b;
          wmma::load_matrix_sync(b, x_tile + 16 * n * n_cols + k0 + kk, unsigned(n_cols));
          wmma::mma_sync(acc[n], a, b, acc[n]);
        }
      }
      __syncwarp();
    }
  }

  // Each warp's sums, then their total in segment order: element (row r, token t) at t·16 + r.
  for (int n = 0; n < NT; ++n)
    wmma::store_matrix_sync(partial + (warp * NT + n) * 256, acc[n], 16, wmma::mem_col_major);
  __syncthreads();
  for (int e = int(threadIdx.x); e < NT * 256; e += kThreads) {
    const int n = e / 256, i = e % 256, t = i / 16, r = i % 16;
    const int64_t tok = tok0 + 16 * n + t, row = row0 + r;
    if (tok >= n_tokens || row >= n_rows) continue;
    float sum = partial[n * 256 + i];
    for (int s = 1; s < kMatmulSplits; ++s) sum += partial[(s * NT + n) * 256 + i];
    float* dst = y + tok * n_rows + row;
    *dst = accumulate ? *dst + sum : sum;
  }
}

constexpr int kF32Warps = 4;

__global__ void __launch_bounds__(kF32Warps * 32)
    f32_matmul_kernel(const float* w, int64_t n_rows, int64_t n_cols, const float* x, float* y, int64_t n_tokens,
                      bool accumulate) {
  const int lane = int(threadIdx.x) % 32;
  const int64_t row = int64_t(blockIdx.x) * kF32Warps + int(threadIdx.x) / 32;
  if (row >= n_rows) return;
  const float* wr = w + row * n_cols;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += 4) {
    float sum[4] = {0, 0, 0, 0};
    for (int64_t k = 4 * lane; k < n_cols; k += 128) {
      const float4 wv = *reinterpret_cast<const float4*>(wr + k);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        if (t0 + j >= n_tokens) break;
        const float4 xv = *reinterpret_cast<const float4*>(x + (t0 + j) * n_cols + k);
        sum[j] = fmaf(wv.x, xv.x, sum[j]);
        sum[j] = fmaf(wv.y, xv.y, sum[j]);
        sum[j] = fmaf(wv.z, xv.z, sum[j]);
        sum[j] = fmaf(wv.w, xv.w, sum[j]);
      }
    }
#pragma unroll
    for (int j = 0; j < 4; ++j)
      for (int offset = 16; offset > 0; offset /= 2) sum[j] += __shfl_xor_sync(0xffffffffu, sum[j], offset);
    if (lane == 0)
      for (int j = 0; j < 4 && t0 + j < n_tokens; ++j) {
        float* dst = y + (t0 + j) * n_rows + row;
        *dst = accumulate ? *dst + sum[j] : sum[j];
      }
  }
}

template <GgmlType T, int NT>
cudaError_t launch_mma(const DeviceMatrix& w, const half* x_half, float* y, int64_t n_tokens, bool accumulate,
                       cudaStream_t stream) {
  constexpr size_t smem = mma_smem_bytes<NT>();
  static std::once_flag raised;
  static cudaError_t raise_error = cudaSuccess;
  std::call_once(raised, [] {
    raise_error = cudaFuncSetAttribute(mma_matmul_kernel<T, NT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       int(smem));
  });
  if (raise_error != cudaSuccess) return raise_error;
  const dim3 grid{unsigned((w.n_rows + 15) / 16), unsigned((n_tokens + 16 * NT - 1) / (16 * NT))};
  mma_matmul_kernel<T, NT><<<grid, kThreads, smem, stream>>>(w.data, w.row_bytes, w.n_rows, w.n_cols, x_half, y,
                                                             n_tokens, accumulate);
  return cudaGetLastError();
}

}  // namespace

cudaError_t matmul(const DeviceMatrix& w, const float* x, const uint16_t* x_half, float* y, int64_t n_tokens,
                   bool accumulate, cudaStream_t stream) {
  if (n_tokens == 0 || w.n_rows == 0) return cudaSuccess;
  if (w.n_cols % 32 != 0 || n_tokens > int64_t(65535) * 16) return cudaErrorInvalidValue;
  if (GgmlType(w.type) == GgmlType::F32) {
    const unsigned blocks = unsigned((w.n_rows + kF32Warps - 1) / kF32Warps);
    f32_matmul_kernel<<<blocks, kF32Warps * 32, 0, stream>>>(reinterpret_cast<const float*>(w.data), w.n_rows,
                                                             w.n_cols, x, y, n_tokens, accumulate);
    return cudaGetLastError();
  }
  const half* xh = reinterpret_cast<const half*>(x_half);
  return with_weight_type(w.type, [&](auto type) {
    constexpr GgmlType T = decltype(type)::value;
    if (n_tokens <= 16) return launch_mma<T, 1>(w, xh, y, n_tokens, accumulate, stream);
    if (n_tokens <= 32) return launch_mma<T, 2>(w, xh, y, n_tokens, accumulate, stream);
    return launch_mma<T, 4>(w, xh, y, n_tokens, accumulate, stream);
  });
}

}  // namespace tachyon::cuda
