// Gemma 2: its settings and defaults, and the forward-pass invariants (batch layout never changes
// a sequence's logits, the final soft-cap bounds them) on the shared 26-layer random model in
// ../shared/testdata/arch; those are skipped, saying so, where it is absent.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "model/batch_invariance.h"

#include "gguf/gguf_writer.h"
#include "kv/contiguous_kv_cache.h"
#include "model/gemma2_model.h"
#include "model/load_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

// Gemma 2 metadata without tensors, for the settings alone.
Result<Gemma2Params> params_of(GgufWriter& w) {
  const fs::path path = fs::temp_directory_path() / "tachyon_gemma2_params_test.gguf";
  w.set_string("general.architecture", "gemma2");
  for (const char* k : {"gemma2.context_length", "gemma2.feed_forward_length"}) w.set_u32(k, 8192);
  Status written = w.write(path.string());
  if (!written) return written.error();
  auto file = GgufFile::open(path.string());
  if (!file) return file.error();
  auto hp = read_model_hparams(**file);
  if (!hp) return hp.error();
  auto params = read_gemma2_params(**file, *hp);
  fs::remove(path);
  return params;
}

TEST(Gemma2ParamsTest, DefaultsAndTheQueryScaleOfEachSize) {
  GgufWriter w2b;  // gemma-2-2b: 26 layers, key_length 256 (n_embd / n_head would be 288)
  w2b.set_u32("gemma2.embedding_length", 2304), w2b.set_u32("gemma2.block_count", 26);
  w2b.set_u32("gemma2.attention.head_count", 8), w2b.set_u32("gemma2.attention.key_length", 256);
  auto p2b = params_of(w2b);
  ASSERT_TRUE(p2b.ok()) << p2b.error().message;
  EXPECT_EQ(p2b->attn_softcap, 50.0f);
  EXPECT_EQ(p2b->final_softcap, 30.0f);
  EXPECT_EQ(p2b->sliding_window, 4096);
  EXPECT_EQ(p2b->query_scale, 1.0f / 16.0f);

  GgufWriter w27b;  // gemma-2-27b: 46 layers, head_dim 128, but q scaled by 1/sqrt(4608 / 32)
  w27b.set_u32("gemma2.embedding_length", 4608), w27b.set_u32("gemma2.block_count", 46);
  w27b.set_u32("gemma2.attention.head_count", 32), w27b.set_u32("gemma2.attention.key_length", 128);
  w27b.set_u32("gemma2.attention.sliding_window", 1024);
  w27b.set_f32("gemma2.attn_logit_softcapping", 20.0f);
  auto p27b = params_of(w27b);
  ASSERT_TRUE(p27b.ok()) << p27b.error().message;
  EXPECT_EQ(p27b->query_scale, 1.0f / std::sqrt(144.0f));
  EXPECT_EQ(p27b->sliding_window, 1024);
  EXPECT_EQ(p27b->attn_softcap, 20.0f);

  GgufWriter bad;
  bad.set_u32("gemma2.embedding_length", 128), bad.set_u32("gemma2.block_count", 26);
  bad.set_u32("gemma2.attention.head_count", 4), bad.set_f32("gemma2.final_logit_softcapping", -1.0f);
  auto rejected = params_of(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find("negative"), std::string::npos) << rejected.error().message;
}

class Gemma2ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path path = TACHYON_SHARED_TESTDATA "/arch/models/arch-gemma2-128-F32.gguf";
    if (!fs::exists(path)) GTEST_SKIP() << path << " is absent: the gemma2 forward pass is not checked";
    auto file = GgufFile::open(path.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto model = load_model(*file);
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = std::move(*model);
  }

  std::unique_ptr<CpuModel> model_;
  ThreadPool pool_{2};
};

std::vector<int32_t> tokens_for(int seed, int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((seed * 131 + i * 37) % 2048);
  return t;
}

TEST_F(Gemma2ModelTest, ReadsTheFilesSettings) {
  const auto* gemma2 = dynamic_cast<const Gemma2Model*>(model_.get());
  ASSERT_NE(gemma2, nullptr);
  EXPECT_TRUE(gemma2->tied_embeddings());
  EXPECT_EQ(gemma2->gemma2_params().attn_softcap, 10.0f);
  EXPECT_EQ(gemma2->gemma2_params().final_softcap, 30.0f);
  EXPECT_EQ(gemma2->gemma2_params().sliding_window, 32);
  EXPECT_EQ(gemma2->gemma2_params().query_scale, 1.0f / std::sqrt(32.0f));
}

// 50 positions: past the window of 32, in uneven chunks, then one token per step.
TEST_F(Gemma2ModelTest, IncrementalDecodingEqualsOneBatch) {
  const auto tokens = tokens_for(1, 50);
  const int64_t V = model_->hparams().n_vocab;
  auto kv_batch = model_->make_contiguous_kv(model_->kv_shape(KvDType::F16), 1, 64);
  ASSERT_TRUE(kv_batch.ok());
  Batch all;
  for (int i = 0; i < 50; ++i) all.add(tokens[i], i, 0, true);
  std::vector<float> batch_logits;
  ASSERT_TRUE(model_->forward(all, **kv_batch, pool_, batch_logits).ok());

  auto kv_inc = model_->make_contiguous_kv(model_->kv_shape(KvDType::F16), 1, 64);
  ASSERT_TRUE(kv_inc.ok());
  std::vector<float> logits;
  int pos = 0;
  for (int chunk : {7, 29, 1, 1, 12}) {
    Batch b;
    for (int i = 0; i < chunk; ++i, ++pos) b.add(tokens[pos], pos, 0, true);
    ASSERT_TRUE(model_->forward(b, **kv_inc, pool_, logits).ok());
    for (int i = 0; i < chunk; ++i) {
      const int p = pos - chunk + i;
      ASSERT_TRUE(std::equal(logits.begin() + i * V, logits.begin() + (i + 1) * V, batch_logits.begin() + p * V))
          << "position " << p;
    }
  }
  // The final soft-cap bounds every logit by 30.
  for (float z : batch_logits) ASSERT_LT(std::abs(z), 30.0f);
}

TEST_F(Gemma2ModelTest, SequencesInOneBatchEqualSequencesAlone) {
  testing_support::expect_mixed_batch_equals_sequences_alone(
      *model_, {tokens_for(2, 9), tokens_for(3, 40), tokens_for(4, 1), tokens_for(5, 17)}, pool_);
}

}  // namespace
}  // namespace tachyon
