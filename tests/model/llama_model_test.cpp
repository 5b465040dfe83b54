// Forward-pass invariants on a small random model: batch layout never changes a sequence's logits.
#include <filesystem>

#include <gtest/gtest.h>

#include "gguf/gguf_writer.h"
#include "kv/contiguous_kv_cache.h"
#include "model/llama_model.h"
#include "model/load_model.h"
#include "model/batch_invariance.h"
#include "model/random_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

class LlamaModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("tachyon_model_test_" + GetParam() + ".gguf");
    RandomModelSpec spec = *random_model_shape("tiny");
    spec.n_embd = 64, spec.n_layer = 2, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
    spec.type = *ggml_type_from_name(GetParam());
    ASSERT_TRUE(write_random_model(spec, path_.string()).ok());
    auto file = GgufFile::open(path_.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto model = LlamaModel::load(*file);
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = std::move(*model);
  }
  void TearDown() override { fs::remove(path_); }

  fs::path path_;
  std::unique_ptr<LlamaModel> model_;
  ThreadPool pool_{2};
};

std::vector<int32_t> tokens_for(int seed, int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((seed * 131 + i * 37) % 300);
  return t;
}

TEST_P(LlamaModelTest, IncrementalDecodingEqualsOneBatch) {
  const auto tokens = tokens_for(1, 40);
  const int64_t V = model_->hparams().n_vocab;
  ContiguousKvCache kv_batch(model_->kv_shape(KvDType::F16), 1, 64);
  Batch all;
  for (int i = 0; i < 40; ++i) all.add(tokens[i], i, 0, true);
  std::vector<float> batch_logits;
  ASSERT_TRUE(model_->forward(all, kv_batch, pool_, batch_logits).ok());

  // Prompt in uneven chunks, then one token per step.
  ContiguousKvCache kv_inc(model_->kv_shape(KvDType::F16), 1, 64);
  std::vector<float> logits;
  int pos = 0;
  for (int chunk : {7, 13, 1, 1, 18}) {
    Batch b;
    for (int i = 0; i < chunk; ++i, ++pos) b.add(tokens[pos], pos, 0, true);
    ASSERT_TRUE(model_->forward(b, kv_inc, pool_, logits).ok());
    for (int i = 0; i < chunk; ++i) {
      const int p = pos - chunk + i;
      ASSERT_TRUE(std::equal(logits.begin() + i * V, logits.begin() + (i + 1) * V, batch_logits.begin() + p * V))
          << "position " << p;
    }
  }
}

TEST_P(LlamaModelTest, SequencesInOneBatchEqualSequencesAlone) {
  testing_support::expect_mixed_batch_equals_sequences_alone(
      *model_, {tokens_for(2, 9), tokens_for(3, 30), tokens_for(4, 1), tokens_for(5, 17)}, pool_);
}

TEST_P(LlamaModelTest, RejectsOutOfRangeTokensAndContext) {
  ContiguousKvCache kv(model_->kv_shape(KvDType::F32), 1, 4);
  std::vector<float> logits;
  Batch bad_token;
  bad_token.add(100000, 0, 0, true);
  EXPECT_FALSE(model_->forward(bad_token, kv, pool_, logits).ok());
  Batch too_long;
  too_long.add(1, 4, 0, true);
  const Status s = model_->forward(too_long, kv, pool_, logits);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("context"), std::string::npos) << s.error().message;
}

INSTANTIATE_TEST_SUITE_P(Types, LlamaModelTest, ::testing::Values("f32", "f16", "q8_0", "q4_0", "q4_K", "q6_K"));

TEST(LlamaModelLoadTest, RejectsUnsupportedArchitecture) {
  const fs::path path = fs::temp_directory_path() / "tachyon_arch_test.gguf";
  GgufWriter w;
  w.set_string("general.architecture", "mamba");
  ASSERT_TRUE(w.write(path.string()).ok());
  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file.ok());
  auto model = load_model(*file);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("unsupported architecture 'mamba' (supported: llama"), std::string::npos)
      << model.error().message;
  fs::remove(path);
}

TEST(LlamaModelLoadTest, NamesAMissingTensor) {
  const fs::path path = fs::temp_directory_path() / "tachyon_missing_tensor_test.gguf";
  GgufWriter w;
  for (const char* k : {"llama.context_length", "llama.embedding_length", "llama.block_count",
                        "llama.feed_forward_length"})
    w.set_u32(k, 32);
  w.set_u32("llama.attention.head_count", 4);
  w.set_string("general.architecture", "llama");
  std::vector<float> embd(32 * 10, 0.0f);
  ASSERT_TRUE(w.add_tensor("token_embd.weight", GgmlType::F32, {32, 10}, embd.data(), embd.size() * 4).ok());
  ASSERT_TRUE(w.write(path.string()).ok());
  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file.ok());
  auto model = LlamaModel::load(*file);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("missing tensor 'blk.0.attn_norm.weight'"), std::string::npos)
      << model.error().message;
}

}  // namespace
}  // namespace tachyon

namespace tachyon {
namespace {

// The random draft-model pair of `model make-random --quiet-from/--keep-layers`: with quiet
// layers scaled to zero the full model computes exactly what its first layers do, which is what
// the draft (those layers, same weights) computes; with a non-zero scale the logits differ.
TEST(RandomDraftPair, QuietLayersLeaveTheFirstLayersLogits) {
  RandomModelSpec spec = *random_model_shape("tiny");
  spec.n_embd = 64, spec.n_layer = 4, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
  spec.type = GgmlType::Q8_0;
  spec.quiet_from = 2;
  auto logits_of = [&](const RandomModelSpec& s) {
    const fs::path path = fs::temp_directory_path() / "tachyon_random_draft_pair.gguf";
    EXPECT_TRUE(write_random_model(s, path.string()).ok());
    auto file = GgufFile::open(path.string());
    EXPECT_TRUE(file.ok());
    auto model = LlamaModel::load(*file);
    EXPECT_TRUE(model.ok());
    ThreadPool pool(2);
    ContiguousKvCache kv((*model)->kv_shape(KvDType::F16), 1, 64);
    Batch batch;
    const auto tokens = tokens_for(7, 20);
    for (int i = 0; i < 20; ++i) batch.add(tokens[size_t(i)], i, 0, true);
    std::vector<float> logits;
    EXPECT_TRUE((*model)->forward(batch, kv, pool, logits).ok());
    EXPECT_EQ((*model)->hparams().n_layer, s.keep_layers > 0 ? s.keep_layers : s.n_layer);
    fs::remove(path);
    return logits;
  };
  spec.quiet_scale = 0.0f;
  const std::vector<float> full = logits_of(spec);
  RandomModelSpec draft = spec;
  draft.keep_layers = 2;
  EXPECT_EQ(logits_of(draft), full);
  spec.quiet_scale = 0.5f;
  EXPECT_NE(logits_of(spec), full);
}

}  // namespace
}  // namespace tachyon
