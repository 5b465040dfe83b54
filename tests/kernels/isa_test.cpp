#include "kernels/isa.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/vec_dot.h"

namespace tachyon {
namespace {

TEST(Isa, NamesRoundTrip) {
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) EXPECT_EQ(isa_from_name(isa_name(isa)), isa);
  EXPECT_EQ(isa_from_name("AVX2"), Isa::Avx2);
  EXPECT_FALSE(isa_from_name("sse4"));
  EXPECT_TRUE(isa_available(Isa::Scalar));
  EXPECT_TRUE(isa_available(detect_isa()));
}

TEST(Isa, ForcedLevelIsClampedToTheCpu) {
  EXPECT_EQ(choose_isa("", Isa::Avx512), Isa::Avx512);
  EXPECT_EQ(choose_isa("scalar", Isa::Avx512), Isa::Scalar);
  EXPECT_EQ(choose_isa("avx2", Isa::Avx512), Isa::Avx2);
  EXPECT_EQ(choose_isa("avx512", Isa::Avx2), Isa::Avx2);
  EXPECT_EQ(choose_isa("avx2", Isa::Scalar), Isa::Scalar);
  EXPECT_EQ(choose_isa("nonsense", Isa::Avx2), Isa::Avx2);
}

// Also registered in CTest with TACHYON_ISA=scalar, where it checks that forcing works
// end to end: dispatched dots then equal the scalar twins bit for bit.
TEST(Isa, ActiveIsaFollowsEnvironment) {
  const char* env = std::getenv("TACHYON_ISA");
  EXPECT_EQ(active_isa(), choose_isa(env ? env : "", detect_isa()));
  std::printf("[   INFO   ] detected %s, active %s\n", isa_name(detect_isa()).data(), isa_name(active_isa()).data());
  if (active_isa() != Isa::Scalar) return;
  const int64_t n = 4096 + 256;
  const std::vector<float> x = testing::random_row(n, 11);
  for (GgmlType type : testing::kWeightTypes) {
    const std::vector<uint8_t> w = testing::quantized(type, testing::random_row(n, 12));
    std::vector<uint8_t> act(activation_row_bytes(type, n));
    convert_activation_row(type, x.data(), act.data(), n);
    const float dispatched = vec_dot(type, n, w.data(), act.data());
    const float scalar = vec_dot_isa(Isa::Scalar, type, n, w.data(), act.data());
    EXPECT_EQ(std::memcmp(&dispatched, &scalar, sizeof scalar), 0) << ggml_type_name(type);
  }
}

}  // namespace
}  // namespace tachyon
