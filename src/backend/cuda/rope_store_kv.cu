// RoPE (GGUF llama "normal" layout: adjacent pairs) on q in place and on k, then k and v stored
// into the token's KV cache rows. One block per token. Angles advance pair by pair with one float
// multiply each, as the CPU twin (model/rope.cpp) computes them.
#include <cuda_fp16.h>

#include "backend/cuda/kernels.h"
#include "backend/cuda/kv_rows.cuh"

namespace tachyon::cuda {
namespace {

__device__ __forceinline__ void pair_angle(const RopeGeometry& rope, int32_t pos, int64_t pair, float& c, float& s) {
  float theta = float(pos);
  for (int64_t i = 0; i < pair; ++i) theta *= rope.theta_scale;
  const float factor = rope.freq_factors ? rope.freq_factors[pair] : 1.0f;
  const float angle = rope.freq_scale * (theta / factor);
  c = cosf(angle);
  s = sinf(angle);
}

template <typename KvT>
__device__ __forceinline__ KvT to_kv(float v);
template <>
__device__ __forceinline__ float to_kv<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half to_kv<__half>(float v) { return __float2half_rn(v); }

template <typename KvT>
__global__ void rope_store_kv_kernel(RopeGeometry rope, KvGeometry kv, int64_t layer, float* q, const float* k,
                                     const float* v, int64_t n_head) {
  const int64_t t = blockIdx.x;
  const int32_t pos = kv.positions[t];
  const int64_t d = kv.head_dim, half_d = d / 2, n_rot_pairs = rope.n_rot / 2;
  // q: rotate the first n_rot / 2 pairs of every head.
  for (int64_t p = threadIdx.x; p < n_head * half_d; p += blockDim.x) {
    const int64_t pair = p % half_d;
    if (pair >= n_rot_pairs) continue;
    float c, s;
    pair_angle(rope, pos, pair, c, s);
    float* x = q + t * n_head * d + (p / half_d) * d + 2 * pair;
    const float x0 = x[0], x1 = x[1];
    x[0] = x0 * c - x1 * s;
    x[1] = x0 * s + x1 * c;
  }
  // k (rotated) and v into the cache.
  const int64_t row = kv_row_index(kv, layer, t, pos);
  KvT* k_row = static_cast<KvT*>(kv.k) + row;
  KvT* v_row = static_cast<KvT*>(kv.v) + row;
  const float* kt = k + t * kv.n_kv_heads * d;
  const float* vt = v + t * kv.n_kv_heads * d;
  for (int64_t p = threadIdx.x; p < kv.n_kv_heads * half_d; p += blockDim.x) {
    const int64_t pair = p % half_d, i = (p / half_d) * d + 2 * pair;
    float k0 = kt[i], k1 = kt[i + 1];
    if (pair < n_rot_pairs) {
      float c, s;
      pair_angle(rope, pos, pair, c, s);
      const float r0 = k0 * c - k1 * s, r1 = k0 * s + k1 * c;
      k0 = r0, k1 = r1;
    }
    k_row[i] = to_kv<KvT>(k0);
    k_row[i + 1] = to_kv<KvT>(k1);
    v_row[i] = to_kv<KvT>(vt[i]);
    v_row[i + 1] = to_kv<KvT>(vt[i + 1]);
  }
}

}  // namespace

cudaError_t rope_store_kv(const RopeGeometry& rope, const KvGeometry& kv, int64_t layer, float* q, const float* k,
                          const float* v, int64_t n_tokens, int64_t n_head, cudaStream_t stream) {
  if (n_tokens == 0) return cudaSuccess;
  if (kv.head_dim % 2 != 0) return cudaErrorInvalidValue;
  if (kv.f16)
    rope_store_kv_kernel<__half><<<unsigned(n_tokens), 128, 0, stream>>>(rope, kv, layer, q, k, v, n_head);
  else
    rope_store_kv_kernel<float><<<unsigned(n_tokens), 128, 0, stream>>>(rope, kv, layer, q, k, v, n_head);
  return cudaGetLastError();
}

}  // namespace tachyon::cuda
