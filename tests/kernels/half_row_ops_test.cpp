// The f16-row kernels of every level against a double-precision sum, for lengths that hit
// the 16-wide, 8-wide and scalar tails.
#include "kernels/half_row_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

using testing::random_row;

std::vector<uint16_t> halves(const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = f32_to_fp16(x[i]);
  return out;
}

TEST(HalfRowOps, DotAndAxpyMatchExactSums) {
  for (Isa isa : {Isa::Scalar, Isa::Avx2}) {
    if (!isa_available(isa)) continue;
    SCOPED_TRACE(std::string(isa_name(isa)));
    const HalfRowOps ops = half_row_ops(isa);
    for (int64_t n : {1, 7, 8, 15, 16, 64, 77, 128}) {
      const std::vector<float> a = random_row(n, 10 + static_cast<uint32_t>(n));
      const std::vector<uint16_t> b = halves(random_row(n, 20 + static_cast<uint32_t>(n)));
      double want = 0.0, magnitude = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        want += static_cast<double>(a[i]) * fp16_to_f32(b[i]);
        magnitude += std::fabs(static_cast<double>(a[i]) * fp16_to_f32(b[i]));
      }
      EXPECT_NEAR(ops.dot(a.data(), b.data(), n), want, 1e-6 * magnitude + 1e-7) << "n=" << n;

      std::vector<float> y = random_row(n, 30);
      const std::vector<float> y0 = y;
      ops.axpy(0.37f, b.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double expect = y0[i] + 0.37 * fp16_to_f32(b[i]);
        EXPECT_NEAR(y[i], expect, 1e-6 * (1.0 + std::fabs(expect))) << "n=" << n << " i=" << i;
      }
    }
  }
}

}  // namespace
}  // namespace tachyon
