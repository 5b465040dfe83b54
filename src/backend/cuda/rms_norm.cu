// RMSNorm, one block per output row: the sum of squares in double (as the CPU twin sums it), then
// y = (x · scale) · weight.
#include "backend/cuda/kernels.h"

namespace tachyon::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rms_norm_kernel(const float* x, const float* weight, float* y, const int32_t* rows, int64_t n, float eps) {
  __shared__ double partial[kThreads / 32];
  __shared__ float scale;
  const int64_t out_row = blockIdx.x;
  const float* xr = x + (rows ? int64_t(rows[out_row]) : out_row) * n;
  double sum = 0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) sum += double(xr[i] * xr[i]);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0;
    for (int w = 0; w < kThreads / 32; ++w) total += partial[w];
    const float mean = float(total / double(n));
    scale = 1.0f / sqrtf(mean + eps);
  }
  __syncthreads();
  float* yr = y + out_row * n;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) yr[i] = (xr[i] * scale) * weight[i];
}

}  // namespace

cudaError_t rms_norm(const float* x, const float* weight, float* y, const int32_t* rows, int64_t n_out, int64_t n,
                     float eps, cudaStream_t stream) {
  if (n_out == 0) return cudaSuccess;
  rms_norm_kernel<<<unsigned(n_out), kThreads, 0, stream>>>(x, weight, y, rows, n, eps);
  return cudaGetLastError();
}

}  // namespace tachyon::cuda
