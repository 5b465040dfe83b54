// The BERT encoder against llama.cpp's embedding goldens (../shared/testdata/arch/golden/
// arch-bert-128-F32.p1/p2.json) with the tolerances of that folder's README, section 5: the
// L2-normalised mean-pooled embedding, the raw pooled vector, each token's hidden state (first 8
// values and its norm). Also: batch invariance, pooling kinds and input errors. Skipped, saying
// so, where the shared reference data is absent.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/encoder.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kArch = fs::path(TACHYON_SHARED_TESTDATA) / "arch";

class BertGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path model = kArch / "models/arch-bert-128-F32.gguf";
    if (!fs::exists(model)) GTEST_SKIP() << model << " is absent: the BERT encoder is not checked";
    auto file = GgufFile::open(model.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto encoder = load_encoder(*file);
    ASSERT_TRUE(encoder.ok()) << encoder.error().message;
    encoder_ = std::move(*encoder);
  }

  json golden(const char* pid) const {
    std::ifstream in(kArch / "golden" / (std::string("arch-bert-128-F32.") + pid + ".json"));
    return json::parse(in);
  }

  std::unique_ptr<Encoder> encoder_;
  ThreadPool pool_{2};
};

TEST_F(BertGoldenTest, HyperParametersAndPooling) {
  EXPECT_EQ(encoder_->n_embd(), 128);
  EXPECT_EQ(encoder_->n_ctx(), 1024);
  EXPECT_EQ(encoder_->hparams().n_layer, 2);
  EXPECT_EQ(encoder_->hparams().n_vocab, 1536);
  EXPECT_EQ(encoder_->pooling(), Pooling::mean);
  EXPECT_FALSE(encoder_->causal());
  EXPECT_TRUE(is_encoder_architecture("bert"));
  EXPECT_FALSE(is_encoder_architecture("llama"));
}

TEST_F(BertGoldenTest, MatchesLlamaCppEmbeddings) {
  for (const char* pid : {"p1", "p2"}) {
    const json g = golden(pid);
    const std::vector<std::vector<int32_t>> inputs = {g["prompt_tokens"].get<std::vector<int32_t>>()};
    auto pooled = encoder_->embed(inputs, Pooling::mean, pool_);
    ASSERT_TRUE(pooled.ok()) << pooled.error().message;
    auto hidden = encoder_->embed(inputs, Pooling::none, pool_);
    ASSERT_TRUE(hidden.ok()) << hidden.error().message;
    const int64_t D = encoder_->n_embd();

    std::vector<float> raw = (*pooled)[0].pooled;
    ASSERT_EQ(int64_t(raw.size()), D);
    std::vector<float> normalised = raw;
    l2_normalize(normalised);
    double d_raw = 0, d_embedding = 0, d_hidden = 0, d_norm = 0;
    for (int64_t i = 0; i < D; ++i) {
      d_raw = std::max(d_raw, std::abs(raw[i] - g["embedding_raw"][i].get<double>()));
      d_embedding = std::max(d_embedding, std::abs(normalised[i] - g["embedding"][i].get<double>()));
    }
    const std::vector<float>& h = (*hidden)[0].hidden;
    ASSERT_EQ(h.size(), inputs[0].size() * size_t(D));
    for (const json& p : g["positions"]) {
      const int64_t t = p["i"].get<int64_t>();
      for (size_t j = 0; j < p["hidden"].size(); ++j)
        d_hidden = std::max(d_hidden, std::abs(h[t * D + int64_t(j)] - p["hidden"][j].get<double>()));
      double sum = 0;
      for (int64_t j = 0; j < D; ++j) sum += double(h[t * D + j]) * h[t * D + j];
      d_norm = std::max(d_norm, std::abs(std::sqrt(sum) - p["hidden_l2_norm"].get<double>()));
    }
    EXPECT_LE(d_embedding, 1e-4) << pid;
    EXPECT_LE(d_raw, 1e-3) << pid;
    EXPECT_LE(d_hidden, 5e-3) << pid;
    EXPECT_LE(d_norm, 1e-3) << pid;
    std::printf("  arch-bert-128-F32.%s: embedding %.2e, embedding_raw %.2e, hidden (first 8) %.2e, "
                "hidden_l2_norm %.2e\n", pid, d_embedding, d_raw, d_hidden, d_norm);
  }
}

TEST_F(BertGoldenTest, EachInputIsIndependentOfTheOthersInItsBatch) {
  const auto p1 = golden("p1")["prompt_tokens"].get<std::vector<int32_t>>();
  const auto p2 = golden("p2")["prompt_tokens"].get<std::vector<int32_t>>();
  const std::vector<int32_t> short_input = {101, 104, 102};
  const std::vector<std::vector<int32_t>> together = {p2, p1, short_input, p1};
  auto batched = encoder_->embed(together, Pooling::mean, pool_);
  ASSERT_TRUE(batched.ok()) << batched.error().message;
  for (size_t i = 0; i < together.size(); ++i) {
    const std::vector<std::vector<int32_t>> alone_input = {together[i]};
    auto alone = encoder_->embed(alone_input, Pooling::mean, pool_);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*batched)[i].pooled, (*alone)[0].pooled) << "input " << i << " differs from its single run";
  }
  // Inputs past the per-pass token budget are split over several passes, with the same results.
  std::vector<std::vector<int32_t>> many(12, p2);
  many.push_back(p1);
  auto split = encoder_->embed(many, Pooling::mean, pool_);
  ASSERT_TRUE(split.ok());
  for (size_t i = 0; i + 1 < many.size(); ++i) EXPECT_EQ((*split)[i].pooled, (*batched)[0].pooled) << i;
  EXPECT_EQ(split->back().pooled, (*batched)[1].pooled);
}

TEST_F(BertGoldenTest, ClsAndLastPoolingPickOneHiddenState) {
  const std::vector<std::vector<int32_t>> inputs = {golden("p1")["prompt_tokens"].get<std::vector<int32_t>>()};
  auto hidden = encoder_->embed(inputs, Pooling::none, pool_);
  auto cls = encoder_->embed(inputs, Pooling::cls, pool_);
  auto last = encoder_->embed(inputs, Pooling::last, pool_);
  ASSERT_TRUE(hidden.ok() && cls.ok() && last.ok());
  const std::vector<float>& h = (*hidden)[0].hidden;
  const size_t D = size_t(encoder_->n_embd());
  EXPECT_EQ((*cls)[0].pooled, std::vector<float>(h.begin(), h.begin() + D));
  EXPECT_EQ((*last)[0].pooled, std::vector<float>(h.end() - D, h.end()));
}

TEST_F(BertGoldenTest, RejectsEmptyTooLongAndOutOfVocabularyInputs) {
  const std::vector<std::vector<int32_t>> empty = {{101, 102}, {}};
  EXPECT_FALSE(encoder_->embed(empty, Pooling::mean, pool_).ok());
  const std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>(1025, 104)};
  auto r = encoder_->embed(too_long, Pooling::mean, pool_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("1025 tokens"), std::string::npos) << r.error().message;
  const std::vector<std::vector<int32_t>> bad_id = {{101, 1536, 102}};
  EXPECT_FALSE(encoder_->embed(bad_id, Pooling::mean, pool_).ok());
  const std::vector<std::vector<int32_t>> longest = {std::vector<int32_t>(1024, 104)};
  EXPECT_TRUE(encoder_->embed(longest, Pooling::mean, pool_).ok());
}

TEST(Pooling, MeanAndL2Normalisation) {
  const std::vector<float> hidden = {1, 2, 3, 4, 5, 6};  // (3, 2)
  EXPECT_EQ(pool_hidden_states(hidden.data(), 3, 2, Pooling::mean), (std::vector<float>{3, 4}));
  EXPECT_EQ(pool_hidden_states(hidden.data(), 3, 2, Pooling::cls), (std::vector<float>{1, 2}));
  EXPECT_EQ(pool_hidden_states(hidden.data(), 3, 2, Pooling::last), (std::vector<float>{5, 6}));
  std::vector<float> v = {3, 4};
  l2_normalize(v);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> zero = {0, 0};
  l2_normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

}  // namespace
}  // namespace tachyon
