// The SIMD Q8_0 and Q8_K activation quantizers against gguf's scalar quantize_row_q8_0 and
// quantize_row_q8_K, byte for byte: random rows at many magnitudes, exact halves (roundf rounds
// them away from zero, lrint to even), zeros, NaNs, infinities and values near the float
// range's ends. The SIMD rounding through f16 and bf16 against
// util/fp16.h's conversions, bit for bit: ties, subnormals, overflow, infinities and NaNs.
#include "kernels/quantize_activation.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <iterator>
#include <limits>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/quantize.h"
#include "kernel_test_util.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

// A quantizer of one block type (Q8_0 or Q8_K): its scalar twin, its kernel at a level, and
// the dispatched entry point.
template <typename Block>
struct Quantizer {
  using Fn = void (*)(const float*, Block*, int64_t);
  static constexpr int kElems = sizeof(Block::qs);
  Fn scalar;
  Fn (*kernel)(Isa);
  Fn dispatched;
};
constexpr Quantizer<BlockQ8_0> kQ8_0{quantize_row_q8_0, quantize_q8_0_kernel, quantize_activation_q8_0};
constexpr Quantizer<BlockQ8_K> kQ8_K{quantize_row_q8_K, quantize_q8_K_kernel, quantize_activation_q8_K};

template <typename Block>
std::vector<Block> quantize_with(void (*fn)(const float*, Block*, int64_t), const std::vector<float>& x) {
  std::vector<Block> out(x.size() / sizeof(Block::qs));
  fn(x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

// Every level and the dispatched quantizer write the scalar twin's bytes for x: the quants
// (reported one by one), and the whole block (scale and, for Q8_K, the sums) compared bytewise.
template <typename Block>
void expect_same_bytes(const Quantizer<Block>& quantizer, const std::vector<float>& x) {
  constexpr int kElems = Quantizer<Block>::kElems;
  const std::vector<Block> want = quantize_with(quantizer.scalar, x);
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (!isa_available(isa)) continue;
    SCOPED_TRACE(std::string(isa_name(isa)));
    const std::vector<Block> got = quantize_with(quantizer.kernel(isa), x);
    for (size_t b = 0; b < want.size(); ++b) {
      for (int i = 0; i < kElems; ++i) {
        EXPECT_EQ(got[b].qs[i], want[b].qs[i]) << "block " << b << " i=" << i << " x=" << x[b * kElems + i];
      }
      EXPECT_EQ(std::memcmp(&got[b], &want[b], sizeof(Block)), 0) << "block " << b << " (scale or sums)";
    }
  }
  std::vector<Block> dispatched(want.size());
  quantizer.dispatched(x.data(), dispatched.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(std::memcmp(dispatched.data(), want.data(), want.size() * sizeof(Block)), 0);
}

TEST(QuantizeActivation, RandomRowsMatchScalarQuantizer) {
  for (int64_t n : {32, 64, 96, 160, 2048, 5632}) {
    for (float magnitude : {1e-20f, 1e-3f, 1.0f, 37.0f, 1e4f, 1e20f}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " magnitude=" + std::to_string(magnitude));
      std::vector<float> x = testing::random_row(n, static_cast<uint32_t>(n));
      for (float& v : x) v *= magnitude;
      expect_same_bytes(kQ8_0, x);
    }
  }
}

TEST(QuantizeActivation, Q8_KRandomRowsMatchScalarQuantizer) {
  for (int64_t n : {256, 2048, 5632}) {
    for (float magnitude : {1e-20f, 1e-3f, 1.0f, 37.0f, 1e4f, 1e20f}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " magnitude=" + std::to_string(magnitude));
      std::vector<float> x = testing::random_row(n, static_cast<uint32_t>(n) + 7);
      for (float& v : x) v *= magnitude;
      expect_same_bytes(kQ8_K, x);
    }
  }
}

TEST(QuantizeActivation, Q8_KHalvesTiesAndSpecialValues) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> x(6 * QK_K, 0.0f);  // block 0: all zeros
  // Block 1: extreme -127 makes the inverse scale exactly 1, so halves round to even.
  const float halves[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 0.49999997f, 3.5f};
  for (int i = 0; i < QK_K; ++i) x[QK_K + i] = halves[i % 10] * (i % 3 == 0 ? 1.0f : 0.5f);
  x[QK_K + 17] = -127.0f;
  // Block 2: two values tie for max |x| with opposite signs (the first sets the sign), and NaNs.
  for (int i = 0; i < QK_K; ++i) x[2 * QK_K + i] = (i % 5 == 0) ? kNaN : float(i % 11) - 5.0f;
  x[2 * QK_K + 40] = 9.0f;
  x[2 * QK_K + 41] = -9.0f;
  // Block 3: an infinity (the scale becomes -0, the other values 0). Block 4: NaNs and zeros only.
  for (int i = 0; i < QK_K; ++i) x[3 * QK_K + i] = float(i) - 100.0f;
  x[3 * QK_K + 200] = -kInf;
  for (int i = 0; i < QK_K; i += 3) x[4 * QK_K + i] = kNaN;
  x[4 * QK_K + 1] = -0.0f;
  // Block 5: near the top of the float range.
  for (int i = 0; i < QK_K; ++i) x[5 * QK_K + i] = (i % 2 ? -1.0f : 1.0f) * FLT_MAX / float(i + 1);
  expect_same_bytes(kQ8_K, x);
  const std::vector<BlockQ8_K> got = quantize_with(quantize_q8_K_kernel(active_isa()), x);
  // Block 1 quantizes x as itself (d = 1), halves to even: 0.5, -1.5, 126.5, 3.5, 1.5 and -127.
  EXPECT_EQ(got[1].d, 1.0f);
  const int at[] = {0, 3, 6, 9, 12, 17};
  const int8_t want[] = {0, -2, 126, 4, 2, -127};
  for (size_t k = 0; k < std::size(at); ++k) EXPECT_EQ(got[1].qs[at[k]], want[k]) << "i=" << at[k];
  // Block 2: +9 comes first, so the scale is negative: +9 -> -127, -9 -> 127.
  EXPECT_EQ(got[2].qs[40], -127);
  EXPECT_EQ(got[2].qs[41], 127);
}

TEST(QuantizeActivation, HalvesRoundAwayFromZero) {
  // max |x| = 127 makes the scale exactly 1, so each x below is quantized as itself.
  std::vector<float> x = {127.0f, -126.5f, 126.5f, 0.5f,  -0.5f, 1.5f,  -1.5f, 2.5f,
                          -2.5f,  3.5f,    -3.5f,  64.5f, -64.5f, 0.49999997f, -0.49999997f, 0.50000006f,
                          -0.50000006f, 1.4999999f, -1.4999999f, 100.5f, -100.5f, 0.0f, -0.0f, 7.0f,
                          -7.0f, 0.25f, -0.75f, 125.5f, -125.5f, 1e-30f, -1e-30f, 99.99999f};
  ASSERT_EQ(x.size(), size_t(QK8_0));
  expect_same_bytes(kQ8_0, x);
  const std::vector<BlockQ8_0> got = quantize_with(quantize_q8_0_kernel(active_isa()), x);
  const int8_t want[] = {127, -127, 127, 1, -1, 2, -2, 3, -3, 4, -4, 65, -65, 0, 0, 1,
                         -1,  1,    -1,  101, -101, 0, 0, 7, -7, 0, -1, 126, -126, 0, 0, 100};
  for (int i = 0; i < QK8_0; ++i) EXPECT_EQ(got[0].qs[i], want[i]) << "x=" << x[i];
}

TEST(QuantizeActivation, ZerosAndExtremeValues) {
  std::vector<float> x(4 * QK8_0, 0.0f);  // block 0: all zeros (scale 0)
  x[QK8_0 + 3] = -0.0f;                    // block 1: signed zeros only
  for (int i = 0; i < QK8_0; ++i) {
    x[2 * QK8_0 + i] = (i % 2 ? -1.0f : 1.0f) * FLT_MAX / float(i + 1);  // block 2: near the top of the range
    x[3 * QK8_0 + i] = (i % 3 ? 1e30f : -3e38f) / float(i + 1);           // block 3: scale past f16's range
  }
  expect_same_bytes(kQ8_0, x);
}

// Values that exercise every branch of f32_to_fp16 and f32_to_bf16, then random rows at many
// magnitudes; n is not a multiple of 8, so the scalar tail runs too.
std::vector<float> rounding_cases() {
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f, 1e6f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          6.1035156e-05f, 6.0e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f, 1e-9f,
                          -3.0e-06f, 1.00048828125f, 1.001464843750f, 1.0009765625f, 3.4028235e38f};
  for (uint32_t bits : {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fbfffffu, 0x3f808000u, 0x3f818000u, 0x3f80ffffu,
                        0x00000001u, 0x80400000u, 0x477fe000u, 0x477ff000u}) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    x.push_back(f);
  }
  uint32_t seed = 3;
  for (float magnitude : {1e-7f, 1e-3f, 1.0f, 300.0f, 7e4f, 1e30f}) {
    for (float v : testing::random_row(61, seed++)) x.push_back(v * magnitude);
  }
  return x;
}

void expect_same_rounding(RoundValuesFn (*kernel_of)(Isa), float (*twin)(float), const char* name) {
  const std::vector<float> x = rounding_cases();
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (!isa_available(isa)) continue;
    SCOPED_TRACE(std::string(name) + " " + std::string(isa_name(isa)));
    std::vector<float> y(x.size(), 123.0f);
    kernel_of(isa)(x.data(), y.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = twin(x[i]);
      uint32_t got_bits, want_bits, x_bits;
      std::memcpy(&got_bits, &y[i], 4);
      std::memcpy(&want_bits, &want, 4);
      std::memcpy(&x_bits, &x[i], 4);
      EXPECT_EQ(got_bits, want_bits) << "i=" << i << " x bits=0x" << std::hex << x_bits;
    }
  }
}

TEST(RoundThroughHalves, EveryLevelGivesTheScalarConversionsBits) {
  expect_same_rounding(round_through_f16_kernel, [](float v) { return fp16_to_f32(f32_to_fp16(v)); }, "f16");
  expect_same_rounding(round_through_bf16_kernel, [](float v) { return bf16_to_f32(f32_to_bf16(v)); }, "bf16");
}

TEST(RoundThroughHalves, RoundsToNearestEven) {
  // 1 + 2^-11 lies halfway between the halves 1 and 1 + 2^-10: the even one, 1, wins;
  // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: 1 + 2^-9 wins.
  const float x[2] = {1.00048828125f, 1.00146484375f};
  float y[2];
  round_through_f16(x, y, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 1.001953125f);
  const float b[2] = {1.00390625f, 1.01171875f};  // halfway for bf16 (2^-8, 3 * 2^-8)
  round_through_bf16(b, y, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 1.015625f);
}

}  // namespace
}  // namespace tachyon
