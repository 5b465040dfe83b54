// Every kernel level against its scalar twin, and the scalar twins against a float64 dot of
// the dequantized operands.
#include "kernels/vec_dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "gguf/quantize.h"
#include "kernel_levels.h"
#include "kernel_test_util.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

using testing::kWeightTypes;
using testing::quantized;
using testing::random_row;

// The activation row as the kernels see it, back in float.
std::vector<float> dequantized_activation(GgmlType weight_type, const std::vector<uint8_t>& act, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  const GgmlType type = vec_dot_type(weight_type);
  if (type == GgmlType::Q8_1) {
    const BlockQ8_1* blocks = reinterpret_cast<const BlockQ8_1*>(act.data());
    for (int64_t i = 0; i < n; ++i) {
      out[i] = fp16_to_f32(blocks[i / QK8_1].d) * blocks[i / QK8_1].qs[i % QK8_1];
    }
  } else {
    dequantize_row(type, act.data(), out.data(), n);
  }
  return out;
}

// Q4_1/Q5_1 dots use the activation block's stored fp16 sum s = d * sum(q) for the min term;
// this is what that rounding adds to the exact dot: sum over blocks of m * (s - d * sum(q)).
double q8_1_sum_rounding(GgmlType weight_type, const std::vector<uint8_t>& weights,
                         const std::vector<uint8_t>& act, int64_t n) {
  if (vec_dot_type(weight_type) != GgmlType::Q8_1) return 0.0;
  const size_t block_bytes = ggml_traits(weight_type).type_size;
  const BlockQ8_1* y = reinterpret_cast<const BlockQ8_1*>(act.data());
  double total = 0.0;
  for (int64_t b = 0; b < n / QK8_1; ++b) {
    uint16_t m_bits;  // Q4_1 and Q5_1 both store d then m at the start of a block.
    std::memcpy(&m_bits, weights.data() + b * block_bytes + sizeof(uint16_t), sizeof m_bits);
    int q_sum = 0;
    for (int j = 0; j < QK8_1; ++j) q_sum += y[b].qs[j];
    const double exact = static_cast<double>(fp16_to_f32(y[b].d)) * q_sum;
    total += static_cast<double>(fp16_to_f32(m_bits)) * (fp16_to_f32(y[b].s) - exact);
  }
  return total;
}

std::vector<int64_t> test_lengths(GgmlType type) {
  const int64_t block = ggml_traits(type).block_size;
  std::vector<int64_t> lengths = {block, 3 * block, 7 * block, 4096 + block};
  if (block == 1) lengths.insert(lengths.end(), {17, 31, 65, 127, 4099});
  return lengths;
}

struct Operands {
  std::vector<uint8_t> weights, activations;
  std::vector<float> weights_f32, activations_f32;
};

Operands make_operands(GgmlType type, int64_t n, uint32_t seed) {
  Operands op;
  op.weights = quantized(type, random_row(n, seed));
  const std::vector<float> x = random_row(n, seed + 1000);
  op.activations.resize(activation_row_bytes(type, n));
  convert_activation_row(type, x.data(), op.activations.data(), n);
  op.weights_f32.resize(static_cast<size_t>(n));
  dequantize_row(type, op.weights.data(), op.weights_f32.data(), n);
  op.activations_f32 = dequantized_activation(type, op.activations, n);
  return op;
}

TEST(VecDot, SupportedTypesAndVecDotTypes) {
  for (GgmlType type : kWeightTypes) EXPECT_TRUE(supports_weight_type(type)) << ggml_type_name(type);
  EXPECT_FALSE(supports_weight_type(GgmlType::Q2_K));
  EXPECT_FALSE(supports_weight_type(GgmlType::Q8_K));
  EXPECT_EQ(vec_dot_type(GgmlType::F16), GgmlType::F16);
  EXPECT_EQ(vec_dot_type(GgmlType::BF16), GgmlType::BF16);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_1), GgmlType::Q8_1);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_K), GgmlType::Q8_K);
  EXPECT_EQ(activation_row_bytes(GgmlType::Q4_K, 512), 2 * sizeof(BlockQ8_K));
}

// Q8_0/Q8_K activations are ggml's reference quantizers, F16/BF16 round to nearest even.
TEST(VecDot, ActivationConversionIsTheReferenceQuantizer) {
  const int64_t n = 512;
  const std::vector<float> x = random_row(n, 7);
  for (GgmlType type : kWeightTypes) {
    std::vector<uint8_t> converted(activation_row_bytes(type, n));
    convert_activation_row(type, x.data(), converted.data(), n);
    EXPECT_EQ(converted, quantized(vec_dot_type(type), x)) << ggml_type_name(type);
  }
}

TEST(VecDot, ScalarTwinMatchesFloat64Dot) {
  uint32_t seed = 1;
  for (GgmlType type : kWeightTypes) {
    for (int64_t n : test_lengths(type)) {
      SCOPED_TRACE(::testing::Message() << ggml_type_name(type) << " n=" << n);
      const Operands op = make_operands(type, n, seed++);
      double exact = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double p = static_cast<double>(op.weights_f32[i]) * op.activations_f32[i];
        exact += p;
        magnitude += std::fabs(p);
      }
      exact += q8_1_sum_rounding(type, op.weights, op.activations, n);
      const float got = vec_dot_isa(Isa::Scalar, type, n, op.weights.data(), op.activations.data());
      EXPECT_NEAR(got, exact, 1e-5 * magnitude + 1e-30);
    }
  }
}

// A faster level may differ from the scalar twin only by float summation order:
// |simd - scalar| <= 1e-5 * sum |w_i * a_i|. Integer block sums are exact at every level.
TEST(VecDot, EveryIsaMatchesScalarTwin) {
  uint32_t seed = 100;
  for (GgmlType type : kWeightTypes) {
    for (const testing::KernelLevel<VecDotFn>& level : testing::vec_dot_levels(type)) {
      for (int64_t n : test_lengths(type)) {
        SCOPED_TRACE(::testing::Message() << level.name << " " << ggml_type_name(type) << " n=" << n);
        const Operands op = make_operands(type, n, seed++);
        double magnitude = 0.0;
        for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(static_cast<double>(op.weights_f32[i]) * op.activations_f32[i]);
        const float scalar = vec_dot_isa(Isa::Scalar, type, n, op.weights.data(), op.activations.data());
        const float fast = level.fn(n, op.weights.data(), op.activations.data());
        EXPECT_NEAR(fast, scalar, 1e-5 * magnitude + 1e-30);
      }
    }
  }
}

// Integer paths must be exact: with every block scale exactly 1 (or -1) and small integer
// data, every float product and partial sum is an integer below 2^24, so all levels must
// agree bit for bit whatever their summation order.
TEST(VecDot, IntegerSumsAreExact) {
  const int64_t n = 4096 + 256;
  std::vector<float> x(n), w4(n), w8(n);
  for (int64_t i = 0; i < n; ++i) {
    const bool block_start = i % 32 == 0;
    x[i] = block_start ? 127.0f : static_cast<float>((i * 104729) % 7 - 3);
    w4[i] = block_start ? 8.0f : static_cast<float>((i * 7919) % 15 - 7);
    w8[i] = block_start ? 127.0f : static_cast<float>((i * 7919) % 255 - 127);
  }
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0}) {
    const std::vector<uint8_t> wq = quantized(type, type == GgmlType::Q8_0 ? w8 : w4);
    std::vector<uint8_t> act(activation_row_bytes(type, n));
    convert_activation_row(type, x.data(), act.data(), n);
    std::vector<float> w_back(n);
    dequantize_row(type, wq.data(), w_back.data(), n);
    double exact = 0.0;
    for (int64_t i = 0; i < n; ++i) exact += static_cast<double>(w_back[i]) * x[i];
    const float scalar = vec_dot_isa(Isa::Scalar, type, n, wq.data(), act.data());
    EXPECT_EQ(scalar, static_cast<float>(exact)) << ggml_type_name(type);
    for (const testing::KernelLevel<VecDotFn>& level : testing::vec_dot_levels(type)) {
      EXPECT_EQ(level.fn(n, wq.data(), act.data()), scalar) << level.name << " " << ggml_type_name(type);
    }
  }
}

TEST(VecDot, DispatchedMatchesActiveIsa) {
  for (GgmlType type : kWeightTypes) {
    const int64_t n = 1024;
    const Operands op = make_operands(type, n, 4242);
    EXPECT_EQ(vec_dot(type, n, op.weights.data(), op.activations.data()),
              vec_dot_isa(active_isa(), type, n, op.weights.data(), op.activations.data()))
        << ggml_type_name(type);
  }
}

}  // namespace
}  // namespace tachyon
