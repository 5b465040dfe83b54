// Packed (row-interleaved) weights: every level's kernel equals the scalar twin bit for bit,
// the packed dot agrees with the row-major one to rounding, and matmul over packed weights
// is batch and thread invariant.
#include "kernels/packed_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_levels.h"
#include "kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/vec_dot.h"

namespace tachyon {
namespace {

using testing::quantized;
using testing::random_row;

constexpr GgmlType kPackedTypes[] = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q5_K,
                                     GgmlType::Q6_K, GgmlType::F16,  GgmlType::BF16};

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// n_rows random rows of `type`, row-major as in a GGUF file.
std::vector<uint8_t> random_rows(GgmlType type, int64_t n_rows, int64_t n_cols, uint32_t seed) {
  const size_t row_bytes = ggml_row_size(type, n_cols);
  std::vector<uint8_t> rows(row_bytes * static_cast<size_t>(n_rows));
  for (int64_t r = 0; r < n_rows; ++r) {
    const std::vector<uint8_t> row = quantized(type, random_row(n_cols, seed + static_cast<uint32_t>(r)));
    std::memcpy(rows.data() + static_cast<size_t>(r) * row_bytes, row.data(), row_bytes);
  }
  return rows;
}

std::vector<uint8_t> packed_activations(GgmlType type, const std::vector<float>& x, int64_t n_tokens, int64_t n_cols) {
  const PackedActFormat format = packed_activation_format(type);
  const size_t bytes = packed_activation_row_bytes(format, n_cols);
  std::vector<uint8_t> acts(bytes * static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) {
    convert_packed_activation_row(format, x.data() + t * n_cols, acts.data() + static_cast<size_t>(t) * bytes, n_cols);
  }
  return acts;
}

// fn over every column tile of the group starting at group g (or the pair starting there), as
// matmul calls it: a later tile adds to what the earlier ones left in out.
void over_tiles(PackedDotFn fn, const PackedLayout& layout, const void* packed, int64_t g, const std::vector<uint8_t>& acts,
                size_t act_bytes, int n_tokens, float* out, size_t out_stride) {
  const PackedActFormat format = packed_activation_format(layout.type);
  for (int64_t c = 0; c < layout.n_cols; c += layout.tile_cols) {
    fn(layout.tile_width(c), static_cast<const uint8_t*>(packed) + layout.group_offset(g, c),
       acts.data() + packed_activation_row_bytes(format, c), act_bytes, n_tokens, c > 0, out, out_stride);
  }
}

// Column counts to test for `type`: one block, and longer rows (4096: several column tiles).
std::vector<int64_t> test_widths(GgmlType type) {
  if (packed_activation_format(type) == PackedActFormat::SuperBlocks256) return {256, 512, 4096};
  if (type == GgmlType::F16 || type == GgmlType::BF16) return {4, 12, 512, 4096};
  return {32, 512, 4096};
}

TEST(Packed, OnlyWholeGroupsOfSupportedTypes) {
  EXPECT_TRUE(packable(GgmlType::Q8_0, 16));
  EXPECT_TRUE(packable(GgmlType::Q4_0, 8));
  EXPECT_FALSE(packable(GgmlType::Q8_0, 12));
  EXPECT_TRUE(packable(GgmlType::Q4_K, 8));
  EXPECT_TRUE(packable(GgmlType::Q6_K, 16));
  EXPECT_TRUE(packable(GgmlType::Q5_K, 16));
  EXPECT_FALSE(packable(GgmlType::Q5_0, 16));
  EXPECT_FALSE(packable(GgmlType::F32, 16));
  EXPECT_TRUE(packable(GgmlType::F16, 8));
  EXPECT_TRUE(packable(GgmlType::BF16, 16));
  EXPECT_EQ(pack_rows(GgmlType::Q8_0, nullptr, 12, 64), nullptr);
  const std::vector<uint8_t> rows(ggml_row_size(GgmlType::F16, 30) * kPackRows);
  EXPECT_EQ(pack_rows(GgmlType::F16, rows.data(), kPackRows, 30), nullptr);  // not whole quads
}

// The layout stores each group's share of each column tile once, where PackedLayout says: the
// bytes there are the packed copy of those eight rows' columns alone. Eleven groups: a whole
// panel and a short one; 4096 columns: several tiles, the last narrower for most types.
TEST(Packed, LayoutHoldsEveryGroupTileWherePackedLayoutSays) {
  constexpr int64_t kGroups = kPackedPanelGroups + 3, kRows = kGroups * kPackRows, kCols = 4096;
  for (GgmlType type : kPackedTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const std::vector<uint8_t> rows = random_rows(type, kRows, kCols, 30);
    const std::shared_ptr<const void> packed = pack_rows(type, rows.data(), kRows, kCols);
    ASSERT_NE(packed, nullptr);
    const PackedLayout layout = packed_layout(type, kRows, kCols);
    // Q8_0 and Q4_0 in tiles of whole blocks, kPackedTileBytes or less of a group; the others whole rows.
    const bool tiled = type == GgmlType::Q8_0 || type == GgmlType::Q4_0;
    const int64_t tile_blocks = kPackedTileBytes / (kPackRows * static_cast<int64_t>(ggml_traits(type).type_size));
    EXPECT_EQ(layout.tile_cols, tiled ? tile_blocks * 32 : kCols);
    const size_t row_bytes = ggml_row_size(type, kCols);
    size_t covered = 0;
    for (int64_t c = 0; c < kCols; c += layout.tile_cols) {
      const int64_t width = layout.tile_width(c);
      const size_t tile_row_bytes = ggml_row_size(type, width);
      for (int64_t g = 0; g < kGroups; ++g) {
        std::vector<uint8_t> slice(tile_row_bytes * kPackRows);
        for (int64_t r = 0; r < kPackRows; ++r) {
          std::memcpy(slice.data() + r * tile_row_bytes, rows.data() + (g * kPackRows + r) * row_bytes + ggml_row_size(type, c),
                      tile_row_bytes);
        }
        const std::shared_ptr<const void> alone = pack_rows(type, slice.data(), kPackRows, width);
        const size_t offset = layout.group_offset(g, c), bytes = layout.group_bytes(width);
        ASSERT_LE(offset + bytes, row_bytes * kRows) << "group " << g << " column " << c;
        ASSERT_EQ(std::memcmp(static_cast<const uint8_t*>(packed.get()) + offset, alone.get(), bytes), 0)
            << "group " << g << " column " << c;
        covered += bytes;
      }
    }
    EXPECT_EQ(covered, row_bytes * kRows);
  }
}

// Each level's kernel, for 1..packed_tokens(type) tokens, against the scalar twin: bit-identical;
// over several column tiles, so the accumulators a later tile starts from are checked too.
TEST(Packed, KernelsMatchScalarTwinBitForBit) {
  for (GgmlType type : kPackedTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const PackedDotFn twin = resolve_packed_dot(Isa::Scalar, type);
    for (int64_t n_cols : test_widths(type)) {
      const std::vector<uint8_t> rows = random_rows(type, 2 * kPackRows, n_cols, 40);
      const std::shared_ptr<const void> packed = pack_rows(type, rows.data(), 2 * kPackRows, n_cols);
      ASSERT_NE(packed, nullptr);
      const std::vector<uint8_t> acts = packed_activations(type, random_row(kPackedTokensMax * n_cols, 41), kPackedTokensMax, n_cols);
      const size_t act_bytes = packed_activation_row_bytes(packed_activation_format(type), n_cols);
      const PackedLayout layout = packed_layout(type, 2 * kPackRows, n_cols);
      for (const testing::KernelLevel<PackedDotFn>& level : testing::packed_dot_levels(type)) {
        SCOPED_TRACE(level.name);
        const PackedDotFn kernel = level.fn;
        for (int n_tokens = 1; n_tokens <= packed_tokens(type); ++n_tokens) {
          float want[kPackedTokensMax * kPackRows], got[kPackedTokensMax * kPackRows];
          over_tiles(twin, layout, packed.get(), 1, acts, act_bytes, n_tokens, want, kPackRows);
          over_tiles(kernel, layout, packed.get(), 1, acts, act_bytes, n_tokens, got, kPackRows);
          for (int i = 0; i < n_tokens * kPackRows; ++i) {
            ASSERT_TRUE(same_bits(got[i], want[i])) << "n_cols=" << n_cols << " tokens=" << n_tokens
                                                    << " i=" << i << ": " << got[i] << " vs " << want[i];
          }
          // Starting from given sums (add), as a later column tile does, whatever the layout tiles.
          if (type == GgmlType::F16 || type == GgmlType::BF16) continue;  // one tile: never added to
          const std::vector<float> start = random_row(kPackedTokensMax * kPackRows, 42);
          std::copy(start.begin(), start.end(), want);
          std::copy(start.begin(), start.end(), got);
          twin(layout.tile_width(0), static_cast<const uint8_t*>(packed.get()) + layout.group_offset(1, 0), acts.data(),
               act_bytes, n_tokens, true, want, kPackRows);
          kernel(layout.tile_width(0), static_cast<const uint8_t*>(packed.get()) + layout.group_offset(1, 0), acts.data(),
                 act_bytes, n_tokens, true, got, kPackRows);
          for (int i = 0; i < n_tokens * kPackRows; ++i) {
            ASSERT_TRUE(same_bits(got[i], want[i])) << "add: n_cols=" << n_cols << " tokens=" << n_tokens << " i=" << i;
            ASSERT_FALSE(same_bits(got[i], start[size_t(i)])) << "add: n_cols=" << n_cols << " i=" << i;
          }
        }
      }
    }
  }
}

// The two-group kernels (16 rows a call, where a level has them) against the scalar twin on
// each group: bit-identical, for 1..packed_tokens(type) tokens. The quantized types have one at
// AVX-512, so this runs natively there and emulated elsewhere.
TEST(Packed, PairKernelsMatchScalarTwinOnBothGroups) {
  int tested = 0;
  for (GgmlType type : kPackedTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const PackedDotFn twin = resolve_packed_dot(Isa::Scalar, type);
    for (const testing::KernelLevel<PackedDotFn>& level : testing::packed_dot_pair_levels(type)) {
      SCOPED_TRACE(level.name);
      for (int64_t n_cols : test_widths(type)) {
        constexpr int64_t kRows = 3 * kPackRows;  // the pair starts at the second group
        const std::vector<uint8_t> rows = random_rows(type, kRows, n_cols, 50);
        const std::shared_ptr<const void> packed = pack_rows(type, rows.data(), kRows, n_cols);
        ASSERT_NE(packed, nullptr);
        const std::vector<uint8_t> acts = packed_activations(type, random_row(kPackedTokensMax * n_cols, 51), kPackedTokensMax, n_cols);
        const size_t act_bytes = packed_activation_row_bytes(packed_activation_format(type), n_cols);
        const PackedLayout layout = packed_layout(type, kRows, n_cols);
        for (int n_tokens = 1; n_tokens <= packed_tokens(type); ++n_tokens) {
          constexpr size_t kStride = 2 * kPackRows + 3;  // output rows need not be contiguous across tokens
          float want[kPackedTokensMax * kStride] = {}, got[kPackedTokensMax * kStride] = {};
          over_tiles(twin, layout, packed.get(), 1, acts, act_bytes, n_tokens, want, kStride);
          over_tiles(twin, layout, packed.get(), 2, acts, act_bytes, n_tokens, want + kPackRows, kStride);
          over_tiles(level.fn, layout, packed.get(), 1, acts, act_bytes, n_tokens, got, kStride);
          for (int i = 0; i < n_tokens * static_cast<int>(kStride); ++i) {
            ASSERT_TRUE(same_bits(got[i], want[i])) << "n_cols=" << n_cols << " tokens=" << n_tokens
                                                    << " i=" << i << ": " << got[i] << " vs " << want[i];
          }
        }
      }
      ++tested;
    }
  }
  if (tested == 0) GTEST_SKIP() << "no pair kernel on this CPU and no emulated AVX-512 build";
}

// The packed dot sums the same block integers as the row-major kernels with the same scales;
// only float rounding differs.
TEST(Packed, AgreesWithRowMajorDot) {
  constexpr int64_t kCols = 2048;
  for (GgmlType type : kPackedTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const std::vector<uint8_t> rows = random_rows(type, kPackRows, kCols, 70);
    const std::shared_ptr<const void> packed = pack_rows(type, rows.data(), kPackRows, kCols);
    const std::vector<float> x = random_row(kCols, 71);
    const std::vector<uint8_t> acts = packed_activations(type, x, 1, kCols);
    float got[kPackRows];
    over_tiles(resolve_packed_dot(active_isa(), type), packed_layout(type, kPackRows, kCols), packed.get(), 0, acts, 0, 1,
               got, kPackRows);

    std::vector<uint8_t> act(activation_row_bytes(type, kCols));
    convert_activation_row(type, x.data(), act.data(), kCols);
    const size_t row_bytes = ggml_row_size(type, kCols);
    for (int r = 0; r < kPackRows; ++r) {
      const float want = vec_dot_isa(Isa::Scalar, type, kCols, rows.data() + r * row_bytes, act.data());
      EXPECT_NEAR(got[r], want, 1e-5f * (1.0f + std::fabs(want))) << "row " << r;
    }
  }
}

TEST(Packed, MatmulIsBatchAndThreadInvariant) {
  // An odd group count: a short last panel, ragged thread chunks and group tiles; 2560 columns:
  // two or three column tiles of the quantized types, the last one narrower.
  constexpr int64_t kRows = (kPackedPanelGroups + 3) * kPackRows;
  constexpr int64_t kCols = 2560;
  constexpr int64_t kMaxTokens = 17;
  const std::vector<float> x = random_row(kMaxTokens * kCols, 80);
  for (GgmlType type : kPackedTypes) {
    SCOPED_TRACE(ggml_type_name(type));
    const std::vector<uint8_t> rows = random_rows(type, kRows, kCols, 81);
    const std::shared_ptr<const void> packed = pack_rows(type, rows.data(), kRows, kCols);
    WeightMatrix w{type, rows.data(), kRows, kCols, ggml_row_size(type, kCols)};
    w.packed = packed.get();

    // Expected: one token at a time on one thread.
    ThreadPool single(1);
    std::vector<float> expected(kMaxTokens * kRows);
    for (int64_t t = 0; t < kMaxTokens; ++t) matmul(w, x.data() + t * kCols, expected.data() + t * kRows, 1, single);

    for (int n_threads : {1, 2, 3}) {
      ThreadPool pool(n_threads);
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 7, 8, 9, 17}) {
        std::vector<float> y(n_tokens * kRows, -1.0f);
        matmul(w, x.data(), y.data(), n_tokens, pool);
        for (int64_t i = 0; i < n_tokens * kRows; ++i) {
          ASSERT_TRUE(same_bits(y[i], expected[i])) << "threads=" << n_threads << " n_tokens=" << n_tokens
                                                    << " token=" << i / kRows << " row=" << i % kRows;
        }
      }
    }
  }
}

// matmul_many over several matrices equals one matmul per matrix, bit for bit, whether all are
// packed (one shared conversion per activation format and one loop) or not (one call each).
TEST(Packed, MatmulManyEqualsSeparateMatmuls) {
  constexpr int64_t kCols = 256;
  constexpr int64_t kTokens = 6;
  constexpr int kMatrices = 4;
  const std::vector<float> x = random_row(kTokens * kCols, 90);
  const int64_t rows[kMatrices] = {3 * kPackRows, kPackRows, 2 * kPackRows, kPackRows};
  const GgmlType types[kMatrices] = {GgmlType::Q8_0, GgmlType::F16, GgmlType::Q4_K, GgmlType::BF16};
  std::vector<std::vector<uint8_t>> data;
  std::vector<std::shared_ptr<const void>> packed;
  std::vector<WeightMatrix> matrices;
  for (int i = 0; i < kMatrices; ++i) {
    const GgmlType type = types[i];
    data.push_back(random_rows(type, rows[i], kCols, 91 + static_cast<uint32_t>(i) * 10));
    packed.push_back(pack_rows(type, data.back().data(), rows[i], kCols));
    matrices.push_back(WeightMatrix{type, data.back().data(), rows[i], kCols, ggml_row_size(type, kCols)});
    matrices.back().packed = packed.back().get();
  }
  for (bool all_packed : {true, false}) {
    SCOPED_TRACE(all_packed ? "all packed" : "one row-major");
    if (!all_packed) matrices[1].packed = nullptr;
    ThreadPool pool(2);
    std::vector<std::vector<float>> want(kMatrices), got(kMatrices);
    std::vector<MatmulTarget> targets;
    for (int i = 0; i < kMatrices; ++i) {
      want[i].resize(kTokens * rows[i]);
      got[i].assign(kTokens * rows[i], -1.0f);
      matmul(matrices[i], x.data(), want[i].data(), kTokens, pool);
      targets.push_back({&matrices[i], got[i].data()});
    }
    matmul_many(targets, x.data(), kTokens, pool);
    for (int i = 0; i < kMatrices; ++i) {
      for (size_t j = 0; j < want[i].size(); ++j) ASSERT_TRUE(same_bits(got[i][j], want[i][j])) << "matrix " << i << " j=" << j;
    }
  }
}

}  // namespace
}  // namespace tachyon
