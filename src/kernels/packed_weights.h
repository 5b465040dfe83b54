#pragma once
// Row-interleaved ("packed") weights for the matmul hot path. Groups of kPackRows weight rows
// are stored block by block with their 32-bit words interleaved: one 32-byte load holds four
// consecutive quants of each of the eight rows, so one integer multiply-add gives eight rows'
// partial sums in eight lanes, with no horizontal reduction and one scale load per block for
// all eight rows. Same bytes as the GGUF rows, reordered once at load time.
//
// Arithmetic of a packed dot (every ISA, bit for bit): per row and token, blocks in order,
//   Q8_0, Q4_0:  acc = fma(float(exact integer block sum), float(weight d) * activation d, acc)
//   Q4_K, Q5_K (per super-block of 256, sub-blocks j of 32 with 6-bit scale sc_j and min m_j):
//                isum = sum_j sc_j * (sum of q * y over j), msum = sum_j m_j * (sum of y over j)
//                acc = fma(float(isum), float(d) * activation d, acc)
//                acc = fma(float(msum), -(float(dmin) * activation d), acc)
//   Q6_K (sub-blocks s of 16 with int8 scale sc_s, q in [-32, 31]):
//                acc = fma(float(sum_s sc_s * (sum of q * y over s)), float(d) * activation d, acc)
//   F16, BF16 (rows of four-column quads; w widened exactly, a the activation rounded to the
//                weight's 16-bit type as ggml does, held as a float):
//                c_i = fma(w[4q + i], a[4q + i], c_i) for quads q in order, i = 0..3,
//                dot = (c_0 + c_1) + (c_2 + c_3)
// with exact integer sums, so the scalar twin, the SIMD kernels and any batch size give
// identical results. Q8_0 and Q4_0 take activations quantized as ggml's Q8_0 (blocks of 32),
// the K-quants as ggml's Q8_K (super-blocks of 256), like the row-major kernels.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

inline constexpr int64_t kPackRows = 8;
// Activation rows (tokens) taken by one packed kernel call at most: kPackedTokens for the
// quantized types, kPackedTokensMax for F16 and BF16 (packed_tokens), whose kernels keep more
// tokens' sums in registers.
inline constexpr int kPackedTokens = 4;
inline constexpr int kPackedTokensMax = 8;
int packed_tokens(GgmlType type);

// Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, F16 and BF16 weights with a whole number of row groups have a
// packed form (unless the environment sets TACHYON_PACKED=0); F16 and BF16 rows also need a
// multiple of 4 columns.
bool packable(GgmlType type, int64_t n_rows);

// Where a packed matrix keeps each group's columns. Its row groups are stored a panel of
// kPackedPanelGroups groups at a time (the last panel may be shorter); a panel is stored in
// column tiles of tile_cols columns (the last tile narrower), tile after tile, and within a
// tile its groups one after another, each as the packed group of kPackRows rows of the tile's
// columns. A Q8_0 or Q4_0 tile is as many whole blocks as keep one group's share of it within
// kPackedTileBytes (1056 columns of Q8_0, 2048 of Q4_0). A decode pass over a panel
// reads one unbroken stream, tile by tile, and re-reads only the tile's share of the activation
// row, which stays in L1 while the weights stream past it; with whole rows the activation row
// of a long row was evicted by its own group's weights. On Zen 5 (2 threads, the same process,
// whole rows against tiles): the 2048 x 5632 down projection streamed 71% against 79% of the
// read passes in Q8_0, 64% against 76% in Q4_0. The K-quants keep whole rows (one tile: their
// activation super-blocks are leaner, and tiled they streamed no better), as do F16 and BF16
// (their kernels' four chains end with the row); one tile is the layout of whole rows.
inline constexpr int64_t kPackedTileBytes = 9216;
inline constexpr int64_t kPackedPanelGroups = 8;

struct PackedLayout {
  GgmlType type;
  int64_t n_rows, n_cols;
  int64_t tile_cols;   // columns of every tile but the last
  int64_t block_size;  // the type's elements and bytes per block
  size_t block_bytes;

  int64_t n_groups() const { return n_rows / kPackRows; }
  // Columns of the tile that starts at column first_col.
  int64_t tile_width(int64_t first_col) const { return std::min(tile_cols, n_cols - first_col); }
  // Bytes of one group's share of `cols` columns: kPackRows rows of them.
  size_t group_bytes(int64_t cols) const { return static_cast<size_t>(cols / block_size * kPackRows) * block_bytes; }
  // Byte offset, in the packed copy, of group g's tile that starts at column first_col; the
  // tile's next group (in the same panel) follows group_bytes(tile_width(first_col)) later.
  size_t group_offset(int64_t g, int64_t first_col) const {
    const int64_t panel_first = g / kPackedPanelGroups * kPackedPanelGroups;
    const int64_t panel_groups = std::min(kPackedPanelGroups, n_groups() - panel_first);
    return static_cast<size_t>(panel_first) * group_bytes(n_cols) + static_cast<size_t>(panel_groups) * group_bytes(first_col) +
           static_cast<size_t>(g - panel_first) * group_bytes(tile_width(first_col));
  }
};
PackedLayout packed_layout(GgmlType type, int64_t n_rows, int64_t n_cols);

// A packed copy of n_rows GGUF rows of `type` (n_cols each), in the layout above; nullptr when
// !packable or when an F16 or BF16 row is not whole quads. The buffer is as large as the rows
// themselves.
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

// One activation super-block of a packed K-quant dot: ggml's Q8_K quantization of 256 floats
// (the same integers and scale as quantize_row_q8_K), with its sums per 32 and per 16.
struct PackedActSuperBlock {
  float d;
  int16_t bsum32[8];   // sums of qs[32j .. 32j + 31]
  int32_t bsum16[16];  // sums of qs[16s .. 16s + 15]
  int8_t qs[256];
};
static_assert(sizeof(PackedActSuperBlock) == 340);

// The activation layout a packed `type` reads: PackedActBlock for Q8_0 and Q4_0,
// PackedActSuperBlock for the K-quants, floats rounded through f16 (F16 weights) or bf16 (BF16
// weights) as ggml converts activations for them. Matrices of one format share one converted copy.
enum class PackedActFormat { Blocks32, SuperBlocks256, F16Values, BF16Values };
PackedActFormat packed_activation_format(GgmlType type);

size_t packed_activation_row_bytes(PackedActFormat format, int64_t n_cols);
void convert_packed_activation_row(PackedActFormat format, const float* x, void* dst, int64_t n_cols);

// out[t * out_stride + r] = dot(row r of the group, activation row t) for r < kPackRows,
// t < n_tokens (1..packed_tokens(type)); activation row t starts act_stride * t bytes after acts.
// With `add`, the dot's accumulators start from out's values instead of 0: the same float
// operations as one call over the columns before and these together (a later column tile of
// the quantized types; F16 and BF16 rows are one tile and take add = false).
using PackedDotFn = void (*)(int64_t n_cols, const void* group, const void* acts, size_t act_stride,
                             int n_tokens, bool add, float* out, size_t out_stride);

// The packed kernel for `type` at `isa` (clamped to this CPU, falling back a level down).
PackedDotFn resolve_packed_dot(Isa isa, GgmlType type);

// A kernel for two adjacent groups at once (16 rows: out rows r < 2 kPackRows, the second group
// starting PackedLayout::group_bytes(n_cols) after the first), with the single-group results bit for bit;
// nullptr where `isa` has none for `type`.
PackedDotFn resolve_packed_dot_pair(Isa isa, GgmlType type);

}  // namespace tachyon
