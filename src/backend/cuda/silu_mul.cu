// SwiGLU's elementwise step: gate = silu(gate) · up.
#include <algorithm>

#include "backend/cuda/kernels.h"

namespace tachyon::cuda {
namespace {

__global__ void silu_mul_kernel(float* gate, const float* up, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    gate[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

}  // namespace

cudaError_t silu_mul(float* gate, const float* up, int64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  const int64_t blocks = std::min<int64_t>((n + 255) / 256, 65535);
  silu_mul_kernel<<<unsigned(blocks), 256, 0, stream>>>(gate, up, n);
  return cudaGetLastError();
}

}  // namespace tachyon::cuda
