// Activations rounded to f16 once per matmul input (round to nearest even, as util/fp16.h's
// f32_to_fp16, the CPU twin, rounds).
#include <cuda_fp16.h>

#include <algorithm>

#include "backend/cuda/kernels.h"

namespace tachyon::cuda {
namespace {

__global__ void to_half_kernel(const float* x, __half* y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2half_rn(x[i]);
}

}  // namespace

cudaError_t to_half(const float* x, uint16_t* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  const int64_t blocks = std::min<int64_t>((n + 255) / 256, 65535);
  to_half_kernel<<<unsigned(blocks), 256, 0, stream>>>(x, reinterpret_cast<__half*>(y), n);
  return cudaGetLastError();
}

}  // namespace tachyon::cuda
