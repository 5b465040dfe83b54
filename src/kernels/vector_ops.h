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

// y[i] = ((x[i] - mean) / sqrt(var + eps)) * w[i] (+ b[i] when b is not null), the population
// variance; mean and variance are accumulated in double. y may alias x.
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);
// GELU, tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as llama.cpp's CPU backend
// evaluates it: 0 for x <= -10, x for x >= 10, otherwise the f16 value of the formula at f16(x).
// The outputs are f16 values. y may alias x.
void gelu(const float* x, float* y, int64_t n);
// out[i] = gelu(gate[i]) * up[i] (GeGLU). out may alias gate or up.
void gelu_mul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace tachyon
