// Token embeddings: one block per token dequantizes its row of the table.
#include "backend/cuda/kernels.h"
#include "backend/cuda/type_dispatch.cuh"
#include "backend/cuda/weight_loads.cuh"

namespace tachyon::cuda {
namespace {

template <GgmlType T>
__global__ void embed_kernel(const uint8_t* table, size_t row_bytes, int64_t n_cols, const int32_t* tokens,
                             float* x) {
  const int64_t t = blockIdx.x;
  const uint8_t* row = table + size_t(tokens[t]) * row_bytes;
  float* out = x + t * n_cols;
  for (int64_t k = int64_t(threadIdx.x) * 8; k < n_cols; k += int64_t(blockDim.x) * 8) {
    float v[8];
    load8<T>(row, k, v);
    for (int i = 0; i < 8; ++i) out[k + i] = v[i];
  }
}

}  // namespace

bool weight_type_supported(uint32_t type) {
  return with_weight_type(type, [](auto) { return cudaSuccess; }) == cudaSuccess;
}

cudaError_t embed_rows(const DeviceMatrix& table, const int32_t* tokens, int64_t n_tokens, float* x,
                       cudaStream_t stream) {
  if (n_tokens == 0) return cudaSuccess;
  if (table.n_cols % 8 != 0) return cudaErrorInvalidValue;
  return with_weight_type(table.type, [&](auto type) {
    embed_kernel<decltype(type)::value><<<unsigned(n_tokens), 128, 0, stream>>>(table.data, table.row_bytes,
                                                                               table.n_cols, tokens, x);
    return cudaGetLastError();
  });
}

}  // namespace tachyon::cuda
