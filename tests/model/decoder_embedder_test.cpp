// Embeddings of a decoder (mean-pooled final hidden states) on a small random llama model: the
// pooled vector is the mean of the per-token states, each input's vector does not depend on what
// it is embedded with, the hidden states are the rows the logits are computed from, and bad
// inputs are errors.
#include <filesystem>

#include <gtest/gtest.h>

#include "kv/contiguous_kv_cache.h"
#include "model/decoder_embedder.h"
#include "model/load_model.h"
#include "model/random_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

class DecoderEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / "tachyon_decoder_embedder_test.gguf";
    RandomModelSpec spec = *random_model_shape("tiny");
    spec.n_embd = 64, spec.n_layer = 2, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
    ASSERT_TRUE(write_random_model(spec, path_.string()).ok());
    auto file = GgufFile::open(path_.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto model = load_model(*file);
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = std::move(*model);
    embedder_ = std::make_unique<DecoderEmbedder>(*model_);
  }
  void TearDown() override { fs::remove(path_); }

  fs::path path_;
  std::unique_ptr<CpuModel> model_;
  std::unique_ptr<DecoderEmbedder> embedder_;
  ThreadPool pool_{2};
};

TEST_F(DecoderEmbedderTest, PooledIsTheMeanOfTheHiddenStates) {
  const std::vector<std::vector<int32_t>> inputs{{1, 17, 42, 99, 5}};
  auto hidden = embedder_->embed(inputs, Pooling::none, pool_);
  auto pooled = embedder_->embed(inputs, Pooling::mean, pool_);
  ASSERT_TRUE(hidden.ok() && pooled.ok());
  const int64_t D = embedder_->n_embd();
  ASSERT_EQ((*hidden)[0].hidden.size(), size_t(5 * D));
  EXPECT_EQ(pool_hidden_states((*hidden)[0].hidden.data(), 5, D, Pooling::mean), (*pooled)[0].pooled);
  auto last = embedder_->embed(inputs, Pooling::last, pool_);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)[0].pooled, std::vector<float>((*hidden)[0].hidden.end() - D, (*hidden)[0].hidden.end()));
}

TEST_F(DecoderEmbedderTest, EachInputIsIndependentOfTheOthers) {
  const std::vector<std::vector<int32_t>> together{{1, 2, 3}, {1, 250, 7, 8, 9, 10, 11}, {1, 2, 3}};
  auto all = embedder_->embed(together, Pooling::mean, pool_);
  ASSERT_TRUE(all.ok()) << all.error().message;
  for (size_t i = 0; i < together.size(); ++i) {
    auto alone = embedder_->embed(std::span(&together[i], 1), Pooling::mean, pool_);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*alone)[0].pooled, (*all)[i].pooled) << "input " << i;
  }
  EXPECT_EQ((*all)[0].pooled, (*all)[2].pooled);
  EXPECT_NE((*all)[0].pooled, (*all)[1].pooled);
}

TEST_F(DecoderEmbedderTest, HiddenStatesAreWhatTheLogitsAreComputedFrom) {
  // The hidden states of a causal model at a position do not depend on later tokens.
  auto short_input = embedder_->embed(std::vector<std::vector<int32_t>>{{1, 40, 41}}, Pooling::none, pool_);
  auto long_input = embedder_->embed(std::vector<std::vector<int32_t>>{{1, 40, 41, 42, 43}}, Pooling::none, pool_);
  ASSERT_TRUE(short_input.ok() && long_input.ok());
  const auto& a = (*short_input)[0].hidden;
  const auto& b = (*long_input)[0].hidden;
  EXPECT_EQ(a, std::vector<float>(b.begin(), b.begin() + int64_t(a.size())));
}

TEST_F(DecoderEmbedderTest, BadInputsAreErrors) {
  EXPECT_FALSE(embedder_->embed(std::vector<std::vector<int32_t>>{{}}, Pooling::mean, pool_).ok());
  EXPECT_FALSE(embedder_->embed(std::vector<std::vector<int32_t>>{{1, 300}}, Pooling::mean, pool_).ok());
  std::vector<int32_t> too_long(size_t(embedder_->n_ctx() + 1), 5);
  auto r = embedder_->embed(std::vector<std::vector<int32_t>>{too_long}, Pooling::mean, pool_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("context"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace tachyon
