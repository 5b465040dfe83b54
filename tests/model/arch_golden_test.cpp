// The decoder architectures other than llama (mpt, qwen2, phi3, gemma2) against llama.cpp's
// goldens in ../shared/testdata/arch (teacher-forced logits of F32 and Q8_0 files with F16 and
// F32 KV caches, and greedy continuations), with the tolerances of that folder's README,
// section 5. Skipped, saying so, where the shared reference data is absent.
#include "model/golden_check.h"

namespace tachyon {
namespace {

class ArchGoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(TACHYON_SHARED_TESTDATA "/arch/golden"))
      GTEST_SKIP() << TACHYON_SHARED_TESTDATA "/arch is absent: the other architectures' goldens are not checked";
  }
  std::string prefix() const { return std::string("arch-") + GetParam() + "-"; }
};

TEST_P(ArchGoldenTest, MatchesReferenceLogits) { golden::check_reference_logits(nullptr, prefix()); }

TEST_P(ArchGoldenTest, GreedyContinuationMatches) { golden::check_greedy_continuations(nullptr, prefix()); }

INSTANTIATE_TEST_SUITE_P(Decoders, ArchGoldenTest, ::testing::Values("mpt", "qwen2", "phi3", "gemma2"));

}  // namespace
}  // namespace tachyon
