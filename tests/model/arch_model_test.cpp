// Forward-pass invariants of the qwen2 and phi3 models in ../shared/testdata/arch (skipped,
// saying so, where that folder is absent): a sequence's logits are bit-identical whatever else is
// in its batch and however its prompt is chunked, past phi3's sliding window too; and a phi3
// file with LongRoPE settings is refused rather than run with plain RoPE. For every decoder
// architecture there, the final hidden states that embeddings are pooled from are the rows its
// logits are computed from.
#include <filesystem>

#include <gtest/gtest.h>

#include "gguf/gguf_writer.h"
#include <cmath>

#include "gguf/quantize.h"
#include "kv/contiguous_kv_cache.h"
#include "model/decoder_embedder.h"
#include "model/gemma2_model.h"
#include "model/load_model.h"
#include "model/random_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

const fs::path kArchModels = TACHYON_SHARED_TESTDATA "/arch/models";

std::vector<int32_t> tokens_for(int seed, int n, int64_t n_vocab) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(int32_t((seed * 131 + i * 37) % n_vocab));
  return t;
}

// The logit rows (n, V) of sequence seq's tokens in a batch's logits, in batch order.
std::vector<float> rows_of(const Batch& batch, const std::vector<float>& logits, int32_t seq, int64_t V) {
  std::vector<float> out;
  for (size_t row = 0; row < batch.size(); ++row)
    if (batch.seq_ids[row] == seq) out.insert(out.end(), logits.begin() + row * V, logits.begin() + (row + 1) * V);
  return out;
}

class ArchModelTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const fs::path path = kArchModels / GetParam();
    if (!fs::exists(path)) GTEST_SKIP() << path << " is absent";
    auto file = GgufFile::open(path.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    auto model = load_model(*file);
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = std::move(*model);
  }

  std::unique_ptr<CpuModel> model_;
  ThreadPool pool_{2};
};

TEST_P(ArchModelTest, SequencesInOneBatchEqualSequencesAloneAndInChunks) {
  const int64_t V = model_->hparams().n_vocab;
  // The longest sequence runs past phi3's window of 64 positions.
  const std::vector<std::vector<int32_t>> seqs{tokens_for(2, 9, V), tokens_for(3, 90, V), tokens_for(4, 1, V)};
  ContiguousKvCache kv(model_->kv_shape(KvDType::F16), 3, 128);
  Batch mixed;  // interleaved: token i of every sequence before token i+1 of any
  for (int i = 0; i < 90; ++i)
    for (int s = 0; s < 3; ++s)
      if (i < int(seqs[s].size())) mixed.add(seqs[s][i], i, s, true);
  std::vector<float> mixed_logits;
  ASSERT_TRUE(model_->forward(mixed, kv, pool_, mixed_logits).ok());

  for (int s = 0; s < 3; ++s) {
    // Alone, one thread, the prompt in uneven chunks then one token per step.
    ContiguousKvCache kv1(model_->kv_shape(KvDType::F16), 1, 128);
    ThreadPool one_thread(1);
    std::vector<float> alone, logits;
    int32_t pos = 0;
    for (int chunk : {7, 13, 1, 1, 68}) {
      Batch b;
      for (int i = 0; i < chunk && pos < int32_t(seqs[s].size()); ++i, ++pos) b.add(seqs[s][pos], pos, 0, true);
      ASSERT_TRUE(model_->forward(b, kv1, one_thread, logits).ok());
      alone.insert(alone.end(), logits.begin(), logits.end());
    }
    EXPECT_TRUE(alone == rows_of(mixed, mixed_logits, s, V)) << "sequence " << s;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, ArchModelTest,
                         ::testing::Values("arch-qwen2-128-F32.gguf", "arch-qwen2-128-Q8_0.gguf",
                                           "arch-phi3-128-F32.gguf", "arch-phi3-128-Q8_0.gguf"));

// Every decoder architecture exposes its final hidden states (what /v1/embeddings pools for a
// decoder): on the F32 files, each logit is the hidden row's dot product with the output
// matrix's row (soft-capped for Gemma 2), to float rounding; and pooled embeddings are the mean of
// those rows.
class DecoderHiddenStatesTest : public ArchModelTest {};

TEST_P(DecoderHiddenStatesTest, LogitsAreTheOutputMatrixTimesTheHiddenStates) {
  const ModelHParams& h = model_->hparams();
  const int64_t D = h.n_embd, V = h.n_vocab;
  const std::vector<int32_t> tokens = tokens_for(5, 12, V);
  Batch batch;
  for (int32_t i = 0; i < int32_t(tokens.size()); ++i) batch.add(tokens[size_t(i)], i, 0, i % 4 == 3);
  std::vector<float> hidden, logits;
  ContiguousKvCache kv_a(model_->kv_shape(KvDType::F32), 1, 32), kv_b(model_->kv_shape(KvDType::F32), 1, 32);
  ASSERT_TRUE(model_->final_hidden_states(batch, kv_a, pool_, hidden).ok());
  ASSERT_TRUE(model_->forward(batch, kv_b, pool_, logits).ok());
  ASSERT_EQ(hidden.size(), size_t(3 * D));
  ASSERT_EQ(logits.size(), size_t(3 * V));

  const GgufTensorInfo* output = model_->file().tensor(model_->tied_embeddings() ? "token_embd.weight" : "output.weight");
  ASSERT_NE(output, nullptr);
  const auto* gemma2 = dynamic_cast<const Gemma2Model*>(model_.get());
  const float cap = gemma2 ? gemma2->gemma2_params().final_softcap : 0.0f;
  std::vector<float> row(static_cast<size_t>(D));
  double worst = 0, largest = 0;
  for (int64_t v = 0; v < V; ++v) {
    dequantize_row(output->type, output->data + size_t(v) * (output->n_bytes / size_t(V)), row.data(), D);
    for (int64_t r = 0; r < 3; ++r) {
      double z = 0;
      for (int64_t i = 0; i < D; ++i) z += double(row[size_t(i)]) * hidden[size_t(r * D + i)];
      if (cap > 0) z = cap * std::tanh(z / cap);
      worst = std::max(worst, std::abs(z - logits[size_t(r * V + v)]));
      largest = std::max(largest, std::abs(z));
    }
  }
  EXPECT_LT(worst, 1e-4 * std::max(1.0, largest)) << "largest logit " << largest;
}

TEST_P(DecoderHiddenStatesTest, EmbeddingsAreTheMeanOfTheHiddenStates) {
  DecoderEmbedder embedder(*model_);
  const int64_t D = embedder.n_embd();
  const std::vector<std::vector<int32_t>> inputs{tokens_for(1, 6, model_->hparams().n_vocab),
                                                 tokens_for(9, 3, model_->hparams().n_vocab)};
  auto pooled = embedder.embed(inputs, Pooling::mean, pool_);
  auto hidden = embedder.embed(inputs, Pooling::none, pool_);
  ASSERT_TRUE(pooled.ok() && hidden.ok()) << (pooled.ok() ? hidden.error().message : pooled.error().message);
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ((*hidden)[i].hidden.size(), inputs[i].size() * size_t(D));
    EXPECT_EQ((*pooled)[i].pooled, pool_hidden_states((*hidden)[i].hidden.data(), int64_t(inputs[i].size()), D,
                                                      Pooling::mean));
    auto alone = embedder.embed(std::span(&inputs[i], 1), Pooling::mean, pool_);
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ((*alone)[0].pooled, (*pooled)[i].pooled);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, DecoderHiddenStatesTest,
                         ::testing::Values("arch-qwen2-128-F32.gguf", "arch-phi3-128-F32.gguf",
                                           "arch-gemma2-128-F32.gguf", "arch-mpt-128-F32.gguf"));

// `model make-random --like`: each architecture's reference file scaled to another shape loads
// as that architecture with that shape (Phi-3's fused gate+up and QKV, Gemma 2's head size and
// 26 layers, MPT's ALiBi without positions, Qwen2's biases), and its forward pass gives finite
// logits.
class RandomLikeTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RandomLikeTest, ScaledFileLoadsWithTheNewShape) {
  const fs::path source = kArchModels / GetParam();
  if (!fs::exists(source)) GTEST_SKIP() << source << " is absent";
  RandomModelSpec spec;
  spec.name = "scaled";
  spec.n_embd = 192, spec.n_layer = 26, spec.n_head = 6, spec.n_head_kv = 3, spec.n_ff = 320, spec.n_vocab = 700;
  spec.n_ctx = 512, spec.sliding_window = 100, spec.type = GgmlType::Q8_0;
  // Gemma 2 states its head size (key_length); the others' is n_embd / n_head.
  const bool gemma2 = std::string_view(GetParam()).find("gemma2") != std::string_view::npos;
  spec.head_dim = gemma2 ? 48 : 0;
  const fs::path path = fs::temp_directory_path() / (std::string("tachyon_random_like_") + GetParam());
  ASSERT_TRUE(write_random_model_like(spec, source.string(), path.string()).ok());
  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto model = load_model(*file);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto original = GgufFile::open(source.string());
  const ModelHParams& h = (*model)->hparams();
  EXPECT_EQ(h.architecture, *(*original)->get_string("general.architecture"));
  EXPECT_EQ(h.n_embd, 192);
  EXPECT_EQ(h.n_layer, 26);
  EXPECT_EQ(h.n_head, 6);
  EXPECT_EQ(h.n_head_kv, 3);
  EXPECT_EQ(h.head_dim, gemma2 ? 48 : 32);
  EXPECT_EQ(h.n_ff, 320);
  EXPECT_EQ(h.n_vocab, 700);
  EXPECT_EQ((*file)->tensor("blk.25.ffn_down.weight")->type, GgmlType::Q8_0);
  ContiguousKvCache kv((*model)->kv_shape(KvDType::F16), 1, 16);
  Batch batch;
  for (int32_t i = 0; i < 5; ++i) batch.add(i * 97 % 700, i, 0, i == 4);
  std::vector<float> logits;
  ThreadPool pool(2);
  ASSERT_TRUE((*model)->forward(batch, kv, pool, logits).ok());
  ASSERT_EQ(logits.size(), 700u);
  for (float z : logits) ASSERT_TRUE(std::isfinite(z));
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Files, RandomLikeTest,
                         ::testing::Values("arch-qwen2-128-F32.gguf", "arch-phi3-128-F32.gguf",
                                           "arch-gemma2-128-F32.gguf", "arch-mpt-128-F32.gguf"));

TEST(RandomLikeLoadTest, AHeadSizeTheFileCannotStateIsRefused) {
  const fs::path source = kArchModels / "arch-qwen2-128-F32.gguf";
  if (!fs::exists(source)) GTEST_SKIP() << source << " is absent";
  RandomModelSpec spec;
  spec.n_embd = 192, spec.n_head = 6, spec.n_head_kv = 3, spec.head_dim = 48;
  Status s = write_random_model_like(spec, source.string(), (fs::temp_directory_path() / "unused.gguf").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("n_embd / n_head (32), not 48"), std::string::npos) << s.error().message;
}

TEST(RandomLikeLoadTest, AnEncoderTemplateIsRefusedByName) {
  const fs::path source = kArchModels / "arch-bert-128-F32.gguf";
  if (!fs::exists(source)) GTEST_SKIP() << source << " is absent";
  RandomModelSpec spec;
  const fs::path path = fs::temp_directory_path() / "tachyon_random_like_bert.gguf";
  Status s = write_random_model_like(spec, source.string(), path.string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot scale tensor"), std::string::npos) << s.error().message;
}

TEST(Phi3LoadTest, RefusesLongRope) {
  const fs::path source = kArchModels / "arch-phi3-128-F32.gguf";
  if (!fs::exists(source)) GTEST_SKIP() << source << " is absent";
  auto file = GgufFile::open(source.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  // The same model with the per-frequency factors of a 128k LongRoPE file added.
  GgufWriter w;
  for (const GgufKeyValue& kv : (*file)->metadata()) w.set_value(kv.key, kv.value);
  for (const GgufTensorInfo& t : (*file)->tensors())
    ASSERT_TRUE(w.add_tensor(t.name, t.type, t.ne, t.data, t.n_bytes).ok());
  const std::vector<float> factors(16, 1.0f);
  ASSERT_TRUE(w.add_tensor("rope_factors_long.weight", GgmlType::F32, {16}, factors.data(), 16 * 4).ok());
  const fs::path path = fs::temp_directory_path() / "tachyon_phi3_long_rope_test.gguf";
  ASSERT_TRUE(w.write(path.string()).ok());
  auto long_rope = GgufFile::open(path.string());
  ASSERT_TRUE(long_rope.ok()) << long_rope.error().message;
  auto model = load_model(*long_rope);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("LongRoPE (tensor rope_factors_long.weight) is not supported"),
            std::string::npos)
      << model.error().message;
  fs::remove(path);
}

}  // namespace
}  // namespace tachyon
