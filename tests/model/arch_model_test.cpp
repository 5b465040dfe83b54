// Forward-pass invariants of the qwen2 and phi3 models in ../shared/testdata/arch (skipped,
// saying so, where that folder is absent): a sequence's logits are bit-identical whatever else is
// in its batch and however its prompt is chunked, past phi3's sliding window too; and a phi3
// file with LongRoPE settings is refused rather than run with plain RoPE.
#include <filesystem>

#include <gtest/gtest.h>

#include "gguf/gguf_writer.h"
#include "kv/contiguous_kv_cache.h"
#include "model/load_model.h"

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
