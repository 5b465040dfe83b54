// The embedding engine on the BERT model of ../shared/testdata/arch: a bert file loads as an
// encoder bundle (no decoder, no chat template), requests run off the caller's thread and give
// unit vectors equal to the encoder's own, bad requests are refused at submit, a decoder bundle
// is refused, and shutdown fails what it does not run. Skipped where the data is absent.
#include "engine/embedding_engine.h"

#include <cmath>
#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace tachyon {
namespace {

const std::string kBert = std::string(TACHYON_SHARED_TESTDATA) + "/arch/models/arch-bert-128-F32.gguf";

class EmbeddingEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kBert)) GTEST_SKIP() << kBert << " is absent: the embedding engine is not checked";
    auto bundle = load_model_bundle(kBert);
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    bundle_ = std::move(*bundle);
  }

  // Submits and waits for the result.
  static Result<std::vector<std::vector<float>>> run(EmbeddingEngine& engine, EmbeddingRequest request) {
    std::promise<Result<std::vector<std::vector<float>>>> promise;
    auto future = promise.get_future();
    Status s = engine.submit(std::move(request), [&](Result<std::vector<std::vector<float>>>&& r) {
      promise.set_value(std::move(r));
    });
    if (!s) return s.error();
    return future.get();
  }

  std::shared_ptr<const ModelBundle> bundle_;
};

TEST_F(EmbeddingEngineTest, BertFilesLoadAsEncoderBundles) {
  EXPECT_TRUE(bundle_->is_encoder());
  EXPECT_EQ(bundle_->model, nullptr);
  EXPECT_FALSE(bundle_->chat_template.has_value());
  EXPECT_FALSE(bundle_->render_chat({}).ok());
  EXPECT_EQ(bundle_->hparams().architecture, "bert");
  auto engine = Engine::create(bundle_, EngineConfig{});
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.error().message.find("embedding model"), std::string::npos);
}

TEST_F(EmbeddingEngineTest, GivesUnitVectorsEqualToTheEncoders) {
  auto engine = EmbeddingEngine::create(bundle_, EmbeddingEngineConfig{.n_threads = 2});
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ((*engine)->pooling(), Pooling::mean);
  const std::vector<std::vector<int32_t>> inputs = {bundle_->tokenizer->encode("a quiet village", true, true),
                                                    bundle_->tokenizer->encode("by the sea", true, true)};
  auto vectors = run(**engine, EmbeddingRequest{inputs, true});
  ASSERT_TRUE(vectors.ok()) << vectors.error().message;
  ASSERT_EQ(vectors->size(), 2u);
  ThreadPool pool(1);
  auto direct = bundle_->encoder->embed(inputs, Pooling::mean, pool);
  ASSERT_TRUE(direct.ok());
  for (size_t i = 0; i < 2; ++i) {
    std::vector<float> expected = (*direct)[i].pooled;
    l2_normalize(expected);
    EXPECT_EQ((*vectors)[i], expected) << i;
    double norm = 0;
    for (float x : (*vectors)[i]) norm += double(x) * x;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-6);
  }
  auto raw = run(**engine, EmbeddingRequest{{inputs[0]}, false});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ((*raw)[0], (*direct)[0].pooled);
}

TEST_F(EmbeddingEngineTest, RefusesBadRequestsAtSubmitAndWorkAfterShutdown) {
  auto engine = EmbeddingEngine::create(bundle_, EmbeddingEngineConfig{.n_threads = 1});
  ASSERT_TRUE(engine.ok());
  auto ignore = [](Result<std::vector<std::vector<float>>>&&) {};
  EXPECT_FALSE((*engine)->submit(EmbeddingRequest{{}, true}, ignore).ok());
  EXPECT_FALSE((*engine)->submit(EmbeddingRequest{{{101, 102}, {}}, true}, ignore).ok());
  EXPECT_FALSE((*engine)->submit(EmbeddingRequest{{std::vector<int32_t>(1025, 104)}, true}, ignore).ok());
  Status bad_id = (*engine)->submit(EmbeddingRequest{{{101, 1536}}, true}, ignore);
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.error().kind, ErrorKind::InvalidArgument);
  (*engine)->shutdown(std::chrono::steady_clock::now());
  Status after = (*engine)->submit(EmbeddingRequest{{{101, 102}}, true}, ignore);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, ErrorKind::Unavailable);
}

// A llama decoder embeds through its mean-pooled hidden states: unit-length vectors of n_embd.
TEST(EmbeddingEngine, EmbedsWithADecoderBundle) {
  const std::string llama = std::string(TACHYON_TEST_DATA) + "/models/golden-llama-256-Q4_0.gguf";
  if (!std::filesystem::exists(llama)) GTEST_SKIP() << llama << " is absent";
  auto bundle = load_model_bundle(llama);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message;
  EXPECT_FALSE((*bundle)->is_encoder());
  ASSERT_NE((*bundle)->embedding_model(), nullptr);
  auto engine = EmbeddingEngine::create(std::move(*bundle), EmbeddingEngineConfig{});
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  std::promise<Result<std::vector<std::vector<float>>>> done;
  ASSERT_TRUE((*engine)->submit(EmbeddingRequest{{{1, 15, 27, 300}}, true},
                                [&done](Result<std::vector<std::vector<float>>>&& r) { done.set_value(std::move(r)); })
                  .ok());
  auto vectors = done.get_future().get();
  ASSERT_TRUE(vectors.ok()) << vectors.error().message;
  ASSERT_EQ(vectors->size(), 1u);
  ASSERT_EQ(int64_t((*vectors)[0].size()), (*engine)->n_embd());
  double norm = 0;
  for (float x : (*vectors)[0]) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
}

}  // namespace
}  // namespace tachyon
