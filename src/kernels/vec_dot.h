#pragma once
// Dot product of one weight row with one activation row, for every weight type the engine
// runs. Activations are first converted to the weight type's "vec_dot type" exactly as
// llama.cpp's CPU backend does, so integer block sums match it bit for bit.
// All functions are pure: safe from any thread.
#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

// The type activations are converted to before a dot with `weight_type`:
// F32->F32, F16->F16, BF16->BF16, Q4_0/Q5_0/Q8_0->Q8_0, Q4_1/Q5_1->Q8_1, Q4_K/Q5_K/Q6_K->Q8_K.
GgmlType vec_dot_type(GgmlType weight_type);
// True for F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K.
bool supports_weight_type(GgmlType weight_type);
// Bytes of one converted activation row of n elements (n a multiple of the weight block size).
size_t activation_row_bytes(GgmlType weight_type, int64_t n);
// Converts n float activations to vec_dot_type(weight_type) into dst
// (activation_row_bytes(weight_type, n) bytes), byte for byte as ggml's reference quantizers.
void convert_activation_row(GgmlType weight_type, const float* x, void* dst, int64_t n);

// Signature shared by every kernel: n elements, one weight row, one converted activation row.
using VecDotFn = float (*)(int64_t n, const void* weight_row, const void* activation_row);

// dot(weight_row, activation_row) with the kernels of active_isa().
float vec_dot(GgmlType weight_type, int64_t n, const void* weight_row, const void* activation_row);
// The same with an explicit level (for tests and benchmarks); a level this CPU lacks is
// clamped to detect_isa(). Types without a kernel at that level use the next level down.
float vec_dot_isa(Isa isa, GgmlType weight_type, int64_t n, const void* weight_row,
                  const void* activation_row);
// The kernel vec_dot_isa would call, resolved once by callers that loop over many rows.
VecDotFn resolve_vec_dot(Isa isa, GgmlType weight_type);

// Activation rows taken by one call of a multi-column kernel.
inline constexpr int kVecDotColumns = 4;

// out[c] = dot(weight_row, activation row c) for c in [0, kVecDotColumns), activation row c
// starting act_stride * c bytes after `activations`. Reads the weight row once for all
// columns; each out[c] is bit-identical to the single-row kernel of the same level.
using VecDotColumnsFn = void (*)(int64_t n, const void* weight_row, const void* activations,
                                 size_t act_stride, float* out);

// The multi-column twin of resolve_vec_dot(isa, weight_type), or nullptr where the level that
// kernel comes from has none (callers then use the single-row kernel per column).
VecDotColumnsFn resolve_vec_dot_columns(Isa isa, GgmlType weight_type);

}  // namespace tachyon
