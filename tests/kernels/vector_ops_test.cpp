#include "kernels/vector_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"

namespace tachyon {
namespace {

TEST(VectorOps, RmsNorm) {
  const std::vector<float> x = testing::random_row(257, 1);
  const std::vector<float> w = testing::random_row(257, 2);
  std::vector<float> y(x.size());
  rms_norm(x.data(), w.data(), y.data(), 257, 1e-5f);
  double ss = 0.0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(ss / 257 + 1e-5);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i] * scale * w[i], 1e-5 * std::fabs(x[i] * scale * w[i]) + 1e-7);
  rms_norm(x.data(), w.data(), const_cast<float*>(x.data()), 257, 1e-5f);  // in place
  EXPECT_EQ(x, y);
}

TEST(VectorOps, SoftmaxSumsToOneAndIsShiftInvariant) {
  std::vector<float> a = {1.0f, 2.0f, 3.0f, -1e30f};
  std::vector<float> b = {101.0f, 102.0f, 103.0f, -1e30f};
  softmax_inplace(a.data(), 4);
  softmax_inplace(b.data(), 4);
  EXPECT_NEAR(a[0] + a[1] + a[2] + a[3], 1.0f, 1e-6f);
  EXPECT_NEAR(a[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  EXPECT_EQ(a[3], 0.0f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 1e-6f);
}

TEST(VectorOps, SiluMulDotAxpy) {
  const float gate[3] = {0.0f, 1.0f, -2.0f};
  const float up[3] = {3.0f, 2.0f, 1.0f};
  float out[3];
  silu_mul(gate, up, out, 3);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(out[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);

  EXPECT_EQ(dot_f32(gate, up, 3), 0.0f + 2.0f - 2.0f);
  float y[3] = {1.0f, 1.0f, 1.0f};
  axpy(2.0f, up, y, 3);
  EXPECT_EQ(y[0], 7.0f);
  EXPECT_EQ(y[2], 3.0f);
}

}  // namespace
}  // namespace tachyon
