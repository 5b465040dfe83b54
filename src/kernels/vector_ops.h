#pragma once
// Scalar f32 helpers for the non-matmul steps of a forward pass. Each follows the order of
// operations of the matching ggml CPU op where that matters for matching llama.cpp.
// All functions are pure: safe from any thread on disjoint outputs.
#include <cstdint>

namespace tachyon {

// y[i] = (x[i] / sqrt(mean(x^2) + eps)) * w[i]; the mean is accumulated in double.
// y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps);
// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)), exp as exp_row's (within 1 ulp
// of the correctly rounded value). out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace tachyon
