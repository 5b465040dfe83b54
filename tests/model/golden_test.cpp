// Teacher-forced logits, greedy continuations and multi-sequence batches of the CPU forward pass
// against llama.cpp's goldens, with the tolerances of the reference data's README (section 5).
#include "model/golden_check.h"

namespace tachyon {
namespace {

TEST(GoldenTest, MatchesReferenceLogits) { golden::check_reference_logits(nullptr); }

TEST(GoldenTest, GreedyContinuationMatches) { golden::check_greedy_continuations(nullptr); }

}  // namespace
}  // namespace tachyon
