// The correctness check on trained (not random) weights: the bundled model's perplexity on a
// held-out slice, computed by the engine, agrees with the training framework's own evaluation
// of the same tokens (tests/data/perplexity/heldout.reference.json, written by tools/train).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/perplexity.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

struct Reference {
  std::string model;  // the F32 export it was computed on, a file name in tools/train/work
  double ppl;
  int n_ctx;
  std::vector<int32_t> token_ids;
  std::string text;
};

Reference load_reference() {
  std::ifstream in(TACHYON_TEST_DATA "/perplexity/heldout.reference.json");
  const auto j = nlohmann::json::parse(in);
  std::ifstream text_in(TACHYON_TEST_DATA "/perplexity/heldout.txt", std::ios::binary);
  std::stringstream ss;
  ss << text_in.rdbuf();
  return {j["model"], j["ppl"], j["n_ctx"], j["token_ids"].get<std::vector<int32_t>>(), ss.str()};
}

void check_model(const std::string& path, double tolerance) {
  const Reference ref = load_reference();
  auto bundle = load_model_bundle(path);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message;
  // Same tokenizer as the training framework's SentencePiece model.
  const auto ids = (*bundle)->tokenizer->encode(ref.text, false, false);
  ASSERT_EQ(ids, ref.token_ids);
  ThreadPool pool;
  auto r = perplexity(**bundle, ids, ref.n_ctx, pool);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const double rel = std::abs(r->ppl - ref.ppl) / ref.ppl;
  std::printf("%s: ppl %.4f, reference %.4f, relative difference %.2e\n", path.c_str(), r->ppl, ref.ppl, rel);
  EXPECT_LT(rel, tolerance);
}

TEST(PerplexityTest, BundledQ8ModelIsWithinThreePercentOfTheReference) {
  check_model(TACHYON_SOURCE_DIR "/models/tachyon-mini-q8_0.gguf", 0.03);
}

TEST(PerplexityTest, UnquantizedExportIsWithinOnePercentOfTheReference) {
  const std::string f32 = TACHYON_SOURCE_DIR "/tools/train/work/" + load_reference().model;
  if (!fs::exists(f32)) GTEST_SKIP() << f32 << " is not present (made by tools/train, not committed)";
  check_model(f32, 0.01);
}

}  // namespace
}  // namespace tachyon
