#pragma once
// Packed block layouts and the per-level packed kernel tables, private to the kernels folder.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/packed_weights.h"

namespace tachyon {

// Eight Q8_0 rows, one block: qs[32 * k + 4 * r + i] is quant 4k + i of row r.
struct PackedQ8_0x8 {
  static constexpr int kElems = 32;
  using Act = PackedActBlock;
  uint16_t d[kPackRows];
  int8_t qs[kPackRows * 32];
};
static_assert(sizeof(PackedQ8_0x8) == kPackRows * 34);

// Eight Q4_0 rows, one block: byte 32 * k + 4 * r + i is byte 4k + i of row r's qs (low
// nibble quant 4k + i, high nibble quant 16 + 4k + i; both offset by 8).
struct PackedQ4_0x8 {
  static constexpr int kElems = 32;
  using Act = PackedActBlock;
  uint16_t d[kPackRows];
  uint8_t qs[kPackRows * 16];
};
static_assert(sizeof(PackedQ4_0x8) == kPackRows * 18);

// Eight Q4_K rows, one super-block of 256. Each row's 12 scale bytes are three 32-bit words,
// interleaved like the quants: scales[32 * w + 4 * r + i] is scale byte 4w + i of row r (ggml's
// packing of eight 6-bit scales and eight 6-bit mins, unchanged). qs[32 * k + 4 * r + i] is
// byte 4k + i of row r's qs: for k in [8j, 8j + 8), its low nibble is element 64j + 4(k - 8j) + i
// (sub-block 2j) and its high nibble element 64j + 32 + 4(k - 8j) + i (sub-block 2j + 1).
struct PackedQ4_Kx8 {
  static constexpr int kElems = 256;
  using Act = PackedActSuperBlock;
  uint16_t d[kPackRows];
  uint16_t dmin[kPackRows];
  uint8_t scales[kPackRows * 12];
  uint8_t qs[kPackRows * 128];
};
static_assert(sizeof(PackedQ4_Kx8) == kPackRows * sizeof(BlockQ4_K));

// Eight Q5_K rows: the Q4_K layout plus the fifth bits, whose words are interleaved the same way:
// qh[32 * k + 4 * r + i] is byte 4k + i of row r's qh, and its bit s is the fifth bit of element
// 32s + 4k + i (so word k of sub-block s pairs with qs word 8 (s / 2) + k).
struct PackedQ5_Kx8 {
  static constexpr int kElems = 256;
  using Act = PackedActSuperBlock;
  uint16_t d[kPackRows];
  uint16_t dmin[kPackRows];
  uint8_t scales[kPackRows * 12];
  uint8_t qh[kPackRows * 32];
  uint8_t qs[kPackRows * 128];
};
static_assert(sizeof(PackedQ5_Kx8) == kPackRows * sizeof(BlockQ5_K));

// Eight Q6_K rows, one super-block, regrouped so that every 32-bit word of a row holds four
// consecutive elements of one 16-element sub-block. Element e = 32c + 16h + 4k + i (chunk c,
// half h, word k, byte i) of row r has its low four bits in byte 128c + 32k + 4r + i of ql
// (low nibble for h = 0, high nibble for h = 1) and its high two bits at bit 2k of byte
// 64c + 32h + 4r + i of qh. Stored values are quant + 32, in [0, 63], as in ggml.
// scales[32 * w + 4 * r + i] is the int8 scale of sub-block 4w + i of row r.
struct PackedQ6_Kx8 {
  static constexpr int kElems = 256;
  using Act = PackedActSuperBlock;
  uint16_t d[kPackRows];
  int8_t scales[kPackRows * 16];
  uint8_t ql[kPackRows * 128];
  uint8_t qh[kPackRows * 64];
};
static_assert(sizeof(PackedQ6_Kx8) == kPackRows * sizeof(BlockQ6_K));

// Eight F16 or BF16 rows, one quad of four columns: v[4 * r + i] is element 4q + i of row r (the
// row's own 64-bit word), so one 16-halves load widens to rows 0..3 (or 4..7) by four columns.
struct PackedHalfx8 {
  static constexpr int kElems = 4;
  uint16_t v[kPackRows * 4];
};
static_assert(sizeof(PackedHalfx8) == kPackRows * 8);

PackedDotFn packed_dot_kernel_scalar(GgmlType type);
PackedDotFn packed_dot_kernel_avx2(GgmlType type);
PackedDotFn packed_dot_kernel_avx512(GgmlType type);
PackedDotFn packed_dot_pair_kernel_avx512(GgmlType type);

}  // namespace tachyon
