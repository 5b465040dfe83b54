#pragma once
// Scalar f32 helpers for the non-matmul steps of a forward pass. Each follows the order of
// operations of the matching ggml CPU op where that matters for matching llama.cpp.
// All functions are pure: safe from any thread on disjoint outputs.
#include <cstdint>

namespace tachyon {

// y[i] = (x[i] / sqrt(mean(x^2) + eps)) * w[i]; the mean is accumulated in double.
// y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
// x[i] = exp(x[i] - max) / sum; the sum is accumulated in double. n >= 1.
void softmax_inplace(float* x, int64_t n);
// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)). out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
// sum of a[i] * b[i], accumulated in double.
float dot_f32(const float* a, const float* b, int64_t n);
// y[i] += a * x[i].
void axpy(float a, const float* x, float* y, int64_t n);

}  // namespace tachyon
