// The SIMD Q8_0 activation quantizer against gguf's scalar quantize_row_q8_0, byte for byte:
// random rows at many magnitudes, exact halves (roundf rounds them away from zero), zeros,
// and values near the float range's ends.
#include "kernels/quantize_activation.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/quantize.h"
#include "kernel_test_util.h"

namespace tachyon {
namespace {

std::vector<BlockQ8_0> quantize_with(QuantizeQ8_0Fn fn, const std::vector<float>& x) {
  std::vector<BlockQ8_0> out(x.size() / QK8_0);
  fn(x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

void expect_same_bytes(const std::vector<float>& x) {
  const std::vector<BlockQ8_0> want = quantize_with(quantize_row_q8_0, x);
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (!isa_available(isa)) continue;
    SCOPED_TRACE(std::string(isa_name(isa)));
    const std::vector<BlockQ8_0> got = quantize_with(quantize_q8_0_kernel(isa), x);
    for (size_t b = 0; b < want.size(); ++b) {
      EXPECT_EQ(got[b].d, want[b].d) << "block " << b;
      for (int i = 0; i < QK8_0; ++i) {
        EXPECT_EQ(got[b].qs[i], want[b].qs[i]) << "block " << b << " i=" << i << " x=" << x[b * QK8_0 + i];
      }
    }
  }
  std::vector<BlockQ8_0> dispatched(want.size());
  quantize_activation_q8_0(x.data(), dispatched.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(std::memcmp(dispatched.data(), want.data(), want.size() * sizeof(BlockQ8_0)), 0);
}

TEST(QuantizeActivation, RandomRowsMatchScalarQuantizer) {
  for (int64_t n : {32, 64, 96, 160, 2048, 5632}) {
    for (float magnitude : {1e-20f, 1e-3f, 1.0f, 37.0f, 1e4f, 1e20f}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " magnitude=" + std::to_string(magnitude));
      std::vector<float> x = testing::random_row(n, static_cast<uint32_t>(n));
      for (float& v : x) v *= magnitude;
      expect_same_bytes(x);
    }
  }
}

TEST(QuantizeActivation, HalvesRoundAwayFromZero) {
  // max |x| = 127 makes the scale exactly 1, so each x below is quantized as itself.
  std::vector<float> x = {127.0f, -126.5f, 126.5f, 0.5f,  -0.5f, 1.5f,  -1.5f, 2.5f,
                          -2.5f,  3.5f,    -3.5f,  64.5f, -64.5f, 0.49999997f, -0.49999997f, 0.50000006f,
                          -0.50000006f, 1.4999999f, -1.4999999f, 100.5f, -100.5f, 0.0f, -0.0f, 7.0f,
                          -7.0f, 0.25f, -0.75f, 125.5f, -125.5f, 1e-30f, -1e-30f, 99.99999f};
  ASSERT_EQ(x.size(), size_t(QK8_0));
  expect_same_bytes(x);
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
  expect_same_bytes(x);
}

}  // namespace
}  // namespace tachyon
