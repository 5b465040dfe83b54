// Causal attention over the paged KV cache. One block of four warps per (token, query head): warp
// w takes the chunks of 32 positions w, w + 4, ...; in a chunk, lane j scores position 32c + j
// against q, the warp updates its running max, sum and output (online softmax), and lane l owns
// output dimensions l + 32i. The four warps' partial results are combined in warp order. The
// order of the arithmetic depends only on the token's position, never on the batch.
#include <cuda_fp16.h>

#include <cmath>

#include "backend/cuda/kernels.h"
#include "backend/cuda/kv_rows.cuh"

namespace tachyon::cuda {
namespace {

constexpr int kWarps = 4;

__device__ __forceinline__ void load8_kv(const float* p, float out[8]) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w, out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
}

__device__ __forceinline__ void load8_kv(const __half* p, float out[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    out[2 * i] = f.x, out[2 * i + 1] = f.y;
  }
}

__device__ __forceinline__ float kv_to_float(float v) { return v; }
__device__ __forceinline__ float kv_to_float(__half v) { return __half2float(v); }

// DPL: head dimensions per lane (head_dim = 32 · DPL).
template <typename KvT, int DPL>
__global__ void __launch_bounds__(kWarps * 32)
    attention_kernel(KvGeometry kv, int64_t layer, const float* q, float* out, int64_t n_head, int64_t window) {
  constexpr int D = 32 * DPL;
  __shared__ float q_s[D];
  __shared__ float warp_max[kWarps], warp_sum[kWarps];
  __shared__ float warp_out[kWarps][D];
  const int64_t h = blockIdx.x, t = blockIdx.y;
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t kv_head = h / (n_head / kv.n_kv_heads);
  const float scale = 1.0f / sqrtf(float(D));
  for (int i = int(threadIdx.x); i < D; i += kWarps * 32) q_s[i] = q[(t * n_head + h) * D + i];
  __syncthreads();

  const KvT* k_cache = static_cast<const KvT*>(kv.k);
  const KvT* v_cache = static_cast<const KvT*>(kv.v);
  const int64_t pos = kv.positions[t];
  const int64_t first = window > 0 ? max(int64_t(0), pos - window + 1) : 0;
  const int64_t n_chunks = (pos - first + 32) / 32;
  float m = -INFINITY, sum = 0, acc[DPL];
  for (int i = 0; i < DPL; ++i) acc[i] = 0;
  for (int64_t c = warp; c < n_chunks; c += kWarps) {
    const int64_t p = first + 32 * c + lane;
    float s = -INFINITY;
    if (p <= pos) {
      const KvT* k_row = k_cache + kv_row_index(kv, layer, t, p) + kv_head * D;
      float dot = 0;
      for (int i = 0; i < D; i += 8) {
        float k8[8];
        load8_kv(k_row + i, k8);
        for (int j = 0; j < 8; ++j) dot = fmaf(q_s[i + j], k8[j], dot);
      }
      s = dot * scale;
    }
    float chunk_max = s;
    for (int offset = 16; offset > 0; offset /= 2) chunk_max = fmaxf(chunk_max, __shfl_xor_sync(0xffffffffu, chunk_max, offset));
    const float new_m = fmaxf(m, chunk_max);  // finite: position first + 32c is always visible
    const float correction = expf(m - new_m);
    const float e = p <= pos ? expf(s - new_m) : 0.0f;
    float e_sum = e;
    for (int offset = 16; offset > 0; offset /= 2) e_sum += __shfl_xor_sync(0xffffffffu, e_sum, offset);
    sum = sum * correction + e_sum;
    for (int i = 0; i < DPL; ++i) acc[i] *= correction;
    const int64_t n_visible = min(int64_t(32), pos - (first + 32 * c) + 1);
    for (int j = 0; j < n_visible; ++j) {
      const float w = __shfl_sync(0xffffffffu, e, j);
      const KvT* v_row = v_cache + kv_row_index(kv, layer, t, first + 32 * c + j) + kv_head * D;
      for (int i = 0; i < DPL; ++i) acc[i] = fmaf(w, kv_to_float(v_row[lane + 32 * i]), acc[i]);
    }
    m = new_m;
  }
  if (lane == 0) warp_max[warp] = m, warp_sum[warp] = sum;
  for (int i = 0; i < DPL; ++i) warp_out[warp][lane + 32 * i] = acc[i];
  __syncthreads();

  float m_all = -INFINITY;
  for (int w = 0; w < kWarps; ++w) m_all = fmaxf(m_all, warp_max[w]);
  float total = 0;
  for (int w = 0; w < kWarps; ++w)
    if (warp_max[w] != -INFINITY) total += warp_sum[w] * expf(warp_max[w] - m_all);
  for (int i = int(threadIdx.x); i < D; i += kWarps * 32) {
    float o = 0;
    for (int w = 0; w < kWarps; ++w)
      if (warp_max[w] != -INFINITY) o += warp_out[w][i] * expf(warp_max[w] - m_all);
    out[(t * n_head + h) * D + i] = o / total;
  }
}

template <typename KvT>
cudaError_t launch(const KvGeometry& kv, int64_t layer, const float* q, float* out, int64_t n_tokens, int64_t n_head,
                   int64_t window, cudaStream_t stream) {
  const dim3 grid{unsigned(n_head), unsigned(n_tokens)};
  switch (kv.head_dim) {
    case 32: attention_kernel<KvT, 1><<<grid, kWarps * 32, 0, stream>>>(kv, layer, q, out, n_head, window); break;
    case 64: attention_kernel<KvT, 2><<<grid, kWarps * 32, 0, stream>>>(kv, layer, q, out, n_head, window); break;
    case 128: attention_kernel<KvT, 4><<<grid, kWarps * 32, 0, stream>>>(kv, layer, q, out, n_head, window); break;
    case 256: attention_kernel<KvT, 8><<<grid, kWarps * 32, 0, stream>>>(kv, layer, q, out, n_head, window); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention(const KvGeometry& kv, int64_t layer, const float* q, float* out, int64_t n_tokens,
                      int64_t n_head, int64_t sliding_window, cudaStream_t stream) {
  if (n_tokens == 0) return cudaSuccess;
  if (n_tokens > 65535 || kv.n_kv_heads <= 0 || n_head % kv.n_kv_heads != 0) return cudaErrorInvalidValue;
  return kv.f16 ? launch<__half>(kv, layer, q, out, n_tokens, n_head, sliding_window, stream)
                : launch<float>(kv, layer, q, out, n_tokens, n_head, sliding_window, stream);
}

}  // namespace tachyon::cuda
