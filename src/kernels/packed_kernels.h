#pragma once
// Packed block layouts and the per-level packed kernel tables, private to the kernels folder.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/packed_weights.h"

namespace tachyon {

// Eight Q8_0 rows, one block: qs[32 * k + 4 * r + i] is quant 4k + i of row r.
struct PackedQ8_0x8 {
  uint16_t d[kPackRows];
  int8_t qs[kPackRows * 32];
};
static_assert(sizeof(PackedQ8_0x8) == kPackRows * 34);

// Eight Q4_0 rows, one block: byte 32 * k + 4 * r + i is byte 4k + i of row r's qs (low
// nibble quant 4k + i, high nibble quant 16 + 4k + i; both offset by 8).
struct PackedQ4_0x8 {
  uint16_t d[kPackRows];
  uint8_t qs[kPackRows * 16];
};
static_assert(sizeof(PackedQ4_0x8) == kPackRows * 18);

PackedDotFn packed_dot_kernel_scalar(GgmlType type);
PackedDotFn packed_dot_kernel_avx2(GgmlType type);
PackedDotFn packed_dot_kernel_avx512(GgmlType type);

}  // namespace tachyon
