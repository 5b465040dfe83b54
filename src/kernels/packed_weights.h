#pragma once
// Row-interleaved ("packed") weights for the matmul hot path. Groups of kPackRows weight rows
// are stored block by block with their 32-bit words interleaved: one 32-byte load holds four
// consecutive quants of each of the eight rows, so one integer multiply-add gives eight rows'
// partial sums in eight lanes, with no horizontal reduction and one scale load per block for
// all eight rows. Same bytes as the GGUF rows, reordered once at load time.
//
// Arithmetic of a packed dot (every ISA, bit for bit): per row and token, blocks in order,
//   acc = fma(float(exact integer block sum), float(weight d) * activation d, acc)
// so the scalar twin, the SIMD kernels and any batch size give identical results.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

inline constexpr int64_t kPackRows = 8;
// Activation rows (tokens) taken by one packed kernel call at most.
inline constexpr int kPackedTokens = 4;

// Q8_0 and Q4_0 weights with a whole number of row groups have a packed form (unless the
// environment sets TACHYON_PACKED=0).
bool packable(GgmlType type, int64_t n_rows);

// A packed copy of n_rows GGUF rows of `type` (n_cols each); nullptr when !packable.
// The buffer is as large as the rows themselves.
std::shared_ptr<const void> pack_rows(GgmlType type, const void* rows, int64_t n_rows, int64_t n_cols);

// One activation block of a packed dot: ggml's Q8_0 quantization of 32 floats (the same
// integers and scale as quantize_row_q8_0), with what the kernels need precomputed.
struct PackedActBlock {
  float d;          // the block scale, widened from its f16 value
  int32_t sum;      // sum of qs (Q4_0 weights are unsigned nibbles offset by 8)
  int8_t qs[32];    // quants, in [-127, 127]
  int8_t abs[32];   // |qs|
};
static_assert(sizeof(PackedActBlock) == 72);

size_t packed_activation_row_bytes(int64_t n_cols);
void convert_packed_activation_row(const float* x, void* dst, int64_t n_cols);

// out[t * out_stride + r] = dot(row r of the group, activation row t) for r < kPackRows,
// t < n_tokens (1..kPackedTokens); activation row t starts act_stride * t bytes after acts.
using PackedDotFn = void (*)(int64_t n_cols, const void* group, const void* acts, size_t act_stride,
                             int n_tokens, float* out, size_t out_stride);

// The packed kernel for `type` at `isa` (clamped to this CPU, falling back a level down).
PackedDotFn resolve_packed_dot(Isa isa, GgmlType type);

// Bytes of one packed group: kPackRows rows of n_cols.
size_t packed_group_bytes(GgmlType type, int64_t n_cols);

}  // namespace tachyon
