// Weight matrix × activations. Two kernels, chosen by weight type only (never by batch size, so a
// token's result does not depend on what it is batched with):
// - mma_matmul_kernel (every type but F32): each warp owns 16 weight rows; per step of kBK
//   columns it dequantizes its rows to f16 in shared memory, the block stages 16·NT tokens of
//   activations as f16, and the warp accumulates 16×16×16 tensor-core products in f32, walking
//   the columns in ascending order. A (token, row) result is the same sequence of products for any
//   NT, WARPS or grid, so the launch shape is free to follow the batch size.
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

constexpr int kBK = 256;         // columns staged per step
constexpr int kLd = kBK + 8;     // shared row stride in halfs: a multiple of 8, and rows start on other banks

template <int WARPS, int NT>
constexpr size_t mma_smem_bytes() {
  return size_t(16 * NT + 16 * WARPS) * kLd * sizeof(half) + size_t(WARPS) * 256 * sizeof(float);
}

__device__ __forceinline__ void store8_half(half* dst, const float v[8]) {
  half2 h[4];
  for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
  *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(h);
}

template <GgmlType T, int WARPS, int NT>
__global__ void __launch_bounds__(WARPS * 32)
    mma_matmul_kernel(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_cols, const float* x, float* y,
                      int64_t n_tokens, bool accumulate) {
  extern __shared__ __align__(128) unsigned char smem[];
  half* xs = reinterpret_cast<half*>(smem);                        // (16·NT, kLd) activations
  half* ws = xs + 16 * NT * kLd;                                    // (WARPS, 16, kLd) weights
  float* cs = reinterpret_cast<float*>(ws + WARPS * 16 * kLd);      // (WARPS, 16, 16) results
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t row0 = (int64_t(blockIdx.x) * WARPS + warp) * 16;
  const int64_t tok0 = int64_t(blockIdx.y) * 16 * NT;
  half* my_w = ws + warp * 16 * kLd;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[NT];
  for (int n = 0; n < NT; ++n) wmma::fill_fragment(acc[n], 0.0f);

  for (int64_t k0 = 0; k0 < n_cols; k0 += kBK) {
    // Activations (16·NT, kBK) as f16; zeros past the batch or the row end add nothing.
    for (int c = int(threadIdx.x); c < 16 * NT * (kBK / 8); c += WARPS * 32) {
      const int t = c / (kBK / 8), kk = (c % (kBK / 8)) * 8;
      const int64_t tok = tok0 + t, k = k0 + kk;
      float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      if (tok < n_tokens && k < n_cols) {
        const float4* p = reinterpret_cast<const float4*>(x + tok * n_cols + k);
        const float4 a = p[0], b = p[1];
        v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
      }
      store8_half(xs + t * kLd + kk, v);
    }
    // This warp's 16 weight rows (16, kBK), dequantized.
#pragma unroll
    for (int i = 0; i < 16 * (kBK / 8) / 32; ++i) {
      const int c = lane + 32 * i;
      const int r = c / (kBK / 8), kk = (c % (kBK / 8)) * 8;
      float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      if (row0 + r < n_rows && k0 + kk < n_cols) load8<T>(w + size_t(row0 + r) * row_bytes, k0 + kk, v);
      store8_half(my_w + r * kLd + kk, v);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
      wmma::load_matrix_sync(a, my_w + kk, kLd);
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b;
        wmma::load_matrix_sync(b, xs + 16 * n * kLd + kk, kLd);
        wmma::mma_sync(acc[n], a, b, acc[n]);
      }
    }
    __syncthreads();
  }

  float* my_c = cs + warp * 256;  // (16 tokens, 16 rows): element (row r, token t) at t·16 + r
  for (int n = 0; n < NT; ++n) {
    wmma::store_matrix_sync(my_c, acc[n], 16, wmma::mem_col_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
      const int t = e / 16, r = e % 16;
      const int64_t tok = tok0 + 16 * n + t, row = row0 + r;
      if (tok < n_tokens && row < n_rows) {
        float* dst = y + tok * n_rows + row;
        *dst = accumulate ? *dst + my_c[e] : my_c[e];
      }
    }
    __syncwarp();
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

int multiprocessor_count() {
  static const int count = [] {
    int device = 0, n = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device) != cudaSuccess)
      return 1;
    return n;
  }();
  return count;
}

template <GgmlType T, int WARPS, int NT>
cudaError_t launch_mma(const DeviceMatrix& w, const float* x, float* y, int64_t n_tokens, bool accumulate,
                       cudaStream_t stream) {
  constexpr size_t smem = mma_smem_bytes<WARPS, NT>();
  static std::once_flag raised;
  static cudaError_t raise_error = cudaSuccess;
  std::call_once(raised, [] {
    raise_error = cudaFuncSetAttribute(mma_matmul_kernel<T, WARPS, NT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       int(smem));
  });
  if (raise_error != cudaSuccess) return raise_error;
  const dim3 grid{unsigned((w.n_rows + 16 * WARPS - 1) / (16 * WARPS)), unsigned((n_tokens + 16 * NT - 1) / (16 * NT))};
  mma_matmul_kernel<T, WARPS, NT><<<grid, WARPS * 32, smem, stream>>>(w.data, w.row_bytes, w.n_rows, w.n_cols, x, y,
                                                                       n_tokens, accumulate);
  return cudaGetLastError();
}

template <GgmlType T, int NT>
cudaError_t launch_mma_tokens(const DeviceMatrix& w, const float* x, float* y, int64_t n_tokens, bool accumulate,
                              cudaStream_t stream) {
  // Four warps a block when that still gives every multiprocessor two blocks, else one: small
  // batches of short matrices need many independent warps streaming weights.
  const int64_t blocks4 = ((w.n_rows + 63) / 64) * ((n_tokens + 16 * NT - 1) / (16 * NT));
  if (blocks4 >= 2 * multiprocessor_count()) return launch_mma<T, 4, NT>(w, x, y, n_tokens, accumulate, stream);
  return launch_mma<T, 1, NT>(w, x, y, n_tokens, accumulate, stream);
}

}  // namespace

cudaError_t matmul(const DeviceMatrix& w, const float* x, float* y, int64_t n_tokens, bool accumulate,
                   cudaStream_t stream) {
  if (n_tokens == 0 || w.n_rows == 0) return cudaSuccess;
  if (w.n_cols % 8 != 0) return cudaErrorInvalidValue;
  if (GgmlType(w.type) == GgmlType::F32) {
    const unsigned blocks = unsigned((w.n_rows + kF32Warps - 1) / kF32Warps);
    f32_matmul_kernel<<<blocks, kF32Warps * 32, 0, stream>>>(reinterpret_cast<const float*>(w.data), w.n_rows,
                                                             w.n_cols, x, y, n_tokens, accumulate);
    return cudaGetLastError();
  }
  return with_weight_type(w.type, [&](auto type) {
    constexpr GgmlType T = decltype(type)::value;
    if (n_tokens <= 16) return launch_mma_tokens<T, 1>(w, x, y, n_tokens, accumulate, stream);
    if (n_tokens <= 32) return launch_mma_tokens<T, 2>(w, x, y, n_tokens, accumulate, stream);
    return launch_mma_tokens<T, 4>(w, x, y, n_tokens, accumulate, stream);
  });
}

}  // namespace tachyon::cuda
