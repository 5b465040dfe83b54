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

TEST(VectorOps, SiluMul) {
  const float gate[3] = {0.0f, 1.0f, -2.0f};
  const float up[3] = {3.0f, 2.0f, 1.0f};
  float out[3];
  silu_mul(gate, up, out, 3);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(out[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);
}

}  // namespace
}  // namespace tachyon
