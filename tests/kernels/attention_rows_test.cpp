// The attention row kernels: the AVX2 level against its scalar twin bit for bit (same
// formulas, same order), both against double-precision sums, each head's result against the
// same head computed alone, and our exp against std::exp.
#include "kernels/attention_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "kernel_levels.h"
#include "kernel_test_util.h"
#include "gguf/quantize.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

using testing::random_row;

std::vector<uint16_t> halves(const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = f32_to_fp16(x[i]);
  return out;
}

double widened(uint16_t h) { return fp16_to_f32(h); }
double widened(float f) { return f; }

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i]))
        << "i=" << i << ": " << a[i] << " vs " << b[i];
}

// Distance in representable floats between two finite floats.
int64_t ulp_distance(float a, float b) {
  const auto ordered = [](float f) {
    const int32_t i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t(std::numeric_limits<int32_t>::min()) - i : int64_t(i);
  };
  return std::llabs(ordered(a) - ordered(b));
}

// n_rows rows of d elements in the cache's element type, and pointers to them.
template <typename Elem>
struct Rows {
  std::vector<std::vector<Elem>> data;
  std::vector<const Elem*> ptrs;
};

template <typename Elem>
Rows<Elem> make_rows(int64_t n_rows, int64_t d, uint32_t seed) {
  Rows<Elem> rows;
  for (int64_t r = 0; r < n_rows; ++r) {
    const std::vector<float> row = random_row(d, seed + static_cast<uint32_t>(r));
    if constexpr (std::is_same_v<Elem, uint16_t>) {
      rows.data.push_back(halves(row));
    } else {
      rows.data.push_back(row);
    }
  }
  for (const auto& row : rows.data) rows.ptrs.push_back(row.data());
  return rows;
}

const AttentionRowOps& avx2_ops() {
  static const AttentionRowOps ops = attention_row_ops(Isa::Avx2);
  return ops;
}

#define SKIP_WITHOUT_AVX2()                                 \
  do {                                                      \
    if (!isa_available(Isa::Avx2)) GTEST_SKIP() << "no AVX2"; \
  } while (0)

constexpr int64_t kHeadCounts[] = {1, 3, 4, 5, 8, 9, 12, 17};
constexpr int64_t kHeadDims[] = {1, 5, 8, 13, 16, 24, 64, 67, 128};

auto scores_of(const AttentionRowOps& ops, const uint16_t*) { return ops.scores_f16; }
auto scores_of(const AttentionRowOps& ops, const float*) { return ops.scores_f32; }
auto weighted_sum_of(const AttentionRowOps& ops, const uint16_t*) { return ops.weighted_sum_f16; }
auto weighted_sum_of(const AttentionRowOps& ops, const float*) { return ops.weighted_sum_f32; }

template <typename Elem>
void check_scores() {
  const AttentionRowOps scalar = attention_row_ops_scalar();
  for (int64_t n_q : kHeadCounts) {
    for (int64_t d : kHeadDims) {
      SCOPED_TRACE("n_q=" + std::to_string(n_q) + " d=" + std::to_string(d));
      const int64_t n_rows = 11, stride = 13;
      const std::vector<float> q = random_row(n_q * d, 7 + static_cast<uint32_t>(n_q * d));
      const Rows<Elem> k = make_rows<Elem>(n_rows, d, 100);
      const float scale = 0.125f;
      std::vector<float> want(n_q * stride), got(n_q * stride);
      scores_of(scalar, k.ptrs[0])(q.data(), n_q, d, k.ptrs.data(), n_rows, scale, want.data(), stride);
      for (const testing::KernelLevel<AttentionRowOps>& level : testing::attention_levels()) {
        SCOPED_TRACE(level.name);
        std::vector<float> level_got(n_q * stride);
        scores_of(level.fn, k.ptrs[0])(q.data(), n_q, d, k.ptrs.data(), n_rows, scale, level_got.data(), stride);
        expect_same_bits(level_got, want);
      }
      scores_of(avx2_ops(), k.ptrs[0])(q.data(), n_q, d, k.ptrs.data(), n_rows, scale, got.data(), stride);

      for (int64_t h = 0; h < n_q; ++h) {
        for (int64_t r = 0; r < n_rows; ++r) {
          double exact = 0.0, magnitude = 0.0;
          for (int64_t j = 0; j < d; ++j) {
            exact += double(q[h * d + j]) * widened(k.data[r][j]);
            magnitude += std::fabs(double(q[h * d + j]) * widened(k.data[r][j]));
          }
          EXPECT_NEAR(got[h * stride + r], exact * scale, 2e-6 * magnitude * scale + 1e-12);
        }
        // The head alone: the same bits as within the group.
        std::vector<float> alone(n_rows);
        scores_of(avx2_ops(), k.ptrs[0])(q.data() + h * d, 1, d, k.ptrs.data(), n_rows, scale, alone.data(), n_rows);
        expect_same_bits(alone, std::vector<float>(got.begin() + h * stride, got.begin() + h * stride + n_rows));
      }
    }
  }
}

TEST(AttentionRows, ScoresF16MatchScalarTwinAndExactSums) {
  SKIP_WITHOUT_AVX2();
  check_scores<uint16_t>();
}

TEST(AttentionRows, ScoresF32MatchScalarTwinAndExactSums) {
  SKIP_WITHOUT_AVX2();
  check_scores<float>();
}

template <typename Elem>
void check_weighted_sum() {
  const AttentionRowOps scalar = attention_row_ops_scalar();
  for (int64_t n_q : kHeadCounts) {
    for (int64_t d : kHeadDims) {
      SCOPED_TRACE("n_q=" + std::to_string(n_q) + " d=" + std::to_string(d));
      const int64_t n_rows = 19, stride = 23;
      const Rows<Elem> v = make_rows<Elem>(n_rows, d, 300);
      std::vector<float> w = random_row(n_q * stride, 9);
      for (float& x : w) x = std::fabs(x) / 4;
      const std::vector<float> out0 = random_row(n_q * d, 11);
      std::vector<float> want = out0, got = out0;
      weighted_sum_of(scalar, v.ptrs[0])(w.data(), stride, n_q, d, v.ptrs.data(), n_rows, want.data());
      for (const testing::KernelLevel<AttentionRowOps>& level : testing::attention_levels()) {
        SCOPED_TRACE(level.name);
        std::vector<float> level_got = out0;
        weighted_sum_of(level.fn, v.ptrs[0])(w.data(), stride, n_q, d, v.ptrs.data(), n_rows, level_got.data());
        expect_same_bits(level_got, want);
      }
      weighted_sum_of(avx2_ops(), v.ptrs[0])(w.data(), stride, n_q, d, v.ptrs.data(), n_rows, got.data());

      // Rows split over two calls, and each head alone: the same bits.
      std::vector<float> split = out0;
      weighted_sum_of(avx2_ops(), v.ptrs[0])(w.data(), stride, n_q, d, v.ptrs.data(), 5, split.data());
      weighted_sum_of(avx2_ops(), v.ptrs[0])(w.data() + 5, stride, n_q, d, v.ptrs.data() + 5, n_rows - 5,
                                             split.data());
      expect_same_bits(split, got);
      for (int64_t h = 0; h < n_q; ++h) {
        std::vector<float> alone(out0.begin() + h * d, out0.begin() + (h + 1) * d);
        weighted_sum_of(avx2_ops(), v.ptrs[0])(w.data() + h * stride, stride, 1, d, v.ptrs.data(), n_rows,
                                               alone.data());
        expect_same_bits(alone, std::vector<float>(got.begin() + h * d, got.begin() + (h + 1) * d));
        for (int64_t j = 0; j < d; ++j) {
          double exact = out0[h * d + j], magnitude = std::fabs(exact);
          for (int64_t r = 0; r < n_rows; ++r) {
            exact += double(w[h * stride + r]) * widened(v.data[r][j]);
            magnitude += std::fabs(double(w[h * stride + r]) * widened(v.data[r][j]));
          }
          EXPECT_NEAR(got[h * d + j], exact, 2e-6 * magnitude + 1e-12);
        }
      }
    }
  }
}

TEST(AttentionRows, WeightedSumF16MatchesScalarTwinAndExactSums) {
  SKIP_WITHOUT_AVX2();
  check_weighted_sum<uint16_t>();
}

TEST(AttentionRows, WeightedSumF32MatchesScalarTwinAndExactSums) {
  SKIP_WITHOUT_AVX2();
  check_weighted_sum<float>();
}

// Q8_0 rows: every level gives the bits its f32 kernel gives on the rows dequantized, and the
// scalar twin's bits. Head dims are multiples of 32 (a head's row is whole blocks).
struct Q8Rows {
  std::vector<std::vector<BlockQ8_0>> blocks;
  std::vector<std::vector<float>> values;  // the same rows dequantized
  std::vector<const BlockQ8_0*> block_ptrs;
  std::vector<const float*> value_ptrs;
};

Q8Rows make_q8_rows(int64_t n_rows, int64_t d, uint32_t seed) {
  Q8Rows rows;
  for (int64_t r = 0; r < n_rows; ++r) {
    std::vector<BlockQ8_0> b(size_t(d / QK8_0));
    quantize_row_q8_0(random_row(d, seed + static_cast<uint32_t>(r)).data(), b.data(), d);
    std::vector<float> v(static_cast<size_t>(d), 0.0f);
    dequantize_row_q8_0(b.data(), v.data(), d);
    rows.blocks.push_back(std::move(b));
    rows.values.push_back(std::move(v));
  }
  for (size_t r = 0; r < rows.blocks.size(); ++r) {
    rows.block_ptrs.push_back(rows.blocks[r].data());
    rows.value_ptrs.push_back(rows.values[r].data());
  }
  return rows;
}

TEST(AttentionRows, Q8_0RowsGiveTheF32KernelsBitsOnTheirValues) {
  std::vector<testing::KernelLevel<AttentionRowOps>> levels = testing::attention_levels();
  levels.insert(levels.begin(), {"scalar", attention_row_ops_scalar()});
  for (int64_t n_q : kHeadCounts) {
    for (int64_t d : {32, 64, 96, 128}) {
      SCOPED_TRACE("n_q=" + std::to_string(n_q) + " d=" + std::to_string(d));
      const int64_t n_rows = 19, stride = 23;
      const Q8Rows rows = make_q8_rows(n_rows, d, 500);
      const std::vector<float> q = random_row(n_q * d, 17);
      std::vector<float> w = random_row(n_q * stride, 19);
      for (float& x : w) x = std::fabs(x) / 4;
      const std::vector<float> out0 = random_row(n_q * d, 23);
      std::vector<float> scalar_scores(n_q * stride), scalar_sums = out0;
      attention_row_ops_scalar().scores_q8_0(q.data(), n_q, d, rows.block_ptrs.data(), n_rows, 0.125f,
                                             scalar_scores.data(), stride);
      attention_row_ops_scalar().weighted_sum_q8_0(w.data(), stride, n_q, d, rows.block_ptrs.data(), n_rows,
                                                   scalar_sums.data());
      for (const testing::KernelLevel<AttentionRowOps>& level : levels) {
        SCOPED_TRACE(level.name);
        std::vector<float> scores(n_q * stride), f32_scores(n_q * stride);
        level.fn.scores_q8_0(q.data(), n_q, d, rows.block_ptrs.data(), n_rows, 0.125f, scores.data(), stride);
        level.fn.scores_f32(q.data(), n_q, d, rows.value_ptrs.data(), n_rows, 0.125f, f32_scores.data(), stride);
        expect_same_bits(scores, f32_scores);
        expect_same_bits(scores, scalar_scores);
        std::vector<float> sums = out0, f32_sums = out0;
        level.fn.weighted_sum_q8_0(w.data(), stride, n_q, d, rows.block_ptrs.data(), n_rows, sums.data());
        level.fn.weighted_sum_f32(w.data(), stride, n_q, d, rows.value_ptrs.data(), n_rows, f32_sums.data());
        expect_same_bits(sums, f32_sums);
        expect_same_bits(sums, scalar_sums);
      }
    }
  }
}

TEST(AttentionRows, SoftmaxMatchesScalarTwinAndExactSoftmax) {
  SKIP_WITHOUT_AVX2();
  const AttentionRowOps scalar = attention_row_ops_scalar();
  for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 63, 64, 65, 513}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    std::vector<float> x = random_row(n, 40 + static_cast<uint32_t>(n));
    for (float& v : x) v *= 3.0f;
    if (n > 2) x[n / 2] = -1e4f;  // far below the max: weight exactly 0
    std::vector<float> want = x, got = x;
    scalar.softmax(want.data(), n);
    avx2_ops().softmax(got.data(), n);
    expect_same_bits(got, want);

    double max = x[0], sum = 0.0, total = 0.0;
    for (float v : x) max = std::max<double>(max, v);
    for (float v : x) sum += std::exp(double(v) - max);
    for (int64_t i = 0; i < n; ++i) {
      const double exact = std::exp(double(x[i]) - max) / sum;
      EXPECT_NEAR(got[i], exact, 4e-6 * exact + 1e-30) << "i=" << i;
      EXPECT_GE(got[i], 0.0f);
      total += got[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-6);
    if (n > 2) {
      EXPECT_EQ(got[n / 2], 0.0f);
    }
  }
}

TEST(AttentionRows, ExpWithinOneUlpOfStdExp) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.0f,     -0.0f,     1e-30f,    -1e-30f,   5.96e-8f,  1.0f,     -1.0f,     10.0f,
                          -10.0f,   -87.33f,   -87.34f,   -100.0f,   -103.9f,   -103.98f, -104.0f,   -104.5f,
                          -150.0f,  -1e4f,     -1e30f,    -inf,      88.72f,    88.7228f, 88.723f,   89.0f,
                          100.0f,   1e30f,     inf,       -3.4e38f};
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> wide(-120.0f, 100.0f), narrow(-1.0f, 1.0f);
  for (int i = 0; i < 20000; ++i) x.push_back(wide(rng));
  for (int i = 0; i < 2000; ++i) x.push_back(narrow(rng));
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  const int64_t n = static_cast<int64_t>(x.size());  // not a multiple of 8: the tail is used too

  std::vector<Isa> levels = {Isa::Scalar};
  if (isa_available(Isa::Avx2)) levels.push_back(Isa::Avx2);
  std::vector<std::vector<float>> results;
  for (Isa isa : levels) {
    SCOPED_TRACE(std::string(isa_name(isa)));
    std::vector<float> y(n);
    attention_row_ops(isa).exp(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const float want = std::exp(x[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(y[i])) << "x=" << x[i];
      } else if (std::isinf(want) || want == 0.0f) {
        EXPECT_EQ(y[i], want) << "x=" << x[i];
      } else {
        EXPECT_LE(ulp_distance(y[i], want), 1) << "x=" << x[i] << " got " << y[i] << " want " << want;
      }
    }
    results.push_back(y);
  }
  if (results.size() == 2) {
    results[0].pop_back();  // NaN payloads may differ
    results[1].pop_back();
    expect_same_bits(results[1], results[0]);
  }
}

}  // namespace
}  // namespace tachyon
