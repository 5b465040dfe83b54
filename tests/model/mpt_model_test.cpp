// MptModel on small generated files: the loader's errors for missing settings and for tensors
// the forward pass does not apply, and batch invariance of the forward pass (the goldens are in
// arch_golden_test).
#include <cstring>
#include <deque>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "model/batch_invariance.h"

#include "gguf/gguf_writer.h"
#include "gguf/quantize.h"
#include "kv/contiguous_kv_cache.h"
#include "model/load_model.h"
#include "model/mpt_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kEmbd = 64, kHead = 4, kHeadKv = 2, kFf = 128, kLayers = 2, kVocab = 300;
constexpr int64_t kHeadDim = kEmbd / kHead, kQkvRows = (kHead + 2 * kHeadKv) * kHeadDim;

// What a test changes in the generated file.
struct TinyMptSpec {
  GgmlType type = GgmlType::F32;   // type of the 2-D weights
  bool max_alibi_bias = true;      // write mpt.attention.max_alibi_bias
  int64_t qkv_rows = kQkvRows;     // rows of attn_qkv.weight
  bool qkv_bias = false;           // add blk.0.attn_qkv.bias
};

// Writes a random-weight mpt model; weights scaled so that the clamp of 4 acts on some V values.
Status write_tiny_mpt(const TinyMptSpec& spec, const std::string& path) {
  GgufWriter w;
  w.set_string("general.architecture", "mpt");
  w.set_string("general.name", "tiny-mpt");
  w.set_u32("mpt.context_length", 128);
  w.set_u32("mpt.embedding_length", kEmbd);
  w.set_u32("mpt.block_count", kLayers);
  w.set_u32("mpt.feed_forward_length", kFf);
  w.set_u32("mpt.attention.head_count", kHead);
  w.set_u32("mpt.attention.head_count_kv", kHeadKv);
  w.set_f32("mpt.attention.layer_norm_epsilon", 1e-5f);
  w.set_f32("mpt.attention.clamp_kqv", 4.0f);
  if (spec.max_alibi_bias) w.set_f32("mpt.attention.max_alibi_bias", 8.0f);

  std::deque<std::vector<uint8_t>> storage;  // tensor bytes must outlive write()
  std::mt19937 rng(7);
  auto add = [&](const std::string& name, std::vector<int64_t> ne, float stddev, GgmlType type) -> Status {
    int64_t n = 1;
    for (int64_t e : ne) n *= e;
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> values(static_cast<size_t>(n));
    for (float& v : values) v = ne.size() == 1 ? 1.0f + dist(rng) : dist(rng);
    std::vector<uint8_t>& bytes = storage.emplace_back();
    if (type == GgmlType::F32) {
      bytes.resize(values.size() * sizeof(float));
      std::memcpy(bytes.data(), values.data(), bytes.size());
    } else {
      bytes.resize(ggml_row_size(type, ne[0]) * size_t(n / ne[0]));
      for (int64_t r = 0; r < n / ne[0]; ++r)
        quantize_row(type, &values[size_t(r * ne[0])], bytes.data() + size_t(r) * ggml_row_size(type, ne[0]), ne[0]);
    }
    return w.add_tensor(name, type, std::move(ne), bytes.data(), bytes.size());
  };
  std::vector<Status> added;
  added.push_back(add("token_embd.weight", {kEmbd, kVocab}, 1.0f, spec.type));
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    added.push_back(add(p + "attn_norm.weight", {kEmbd}, 0.1f, GgmlType::F32));
    added.push_back(add(p + "attn_qkv.weight", {kEmbd, spec.qkv_rows}, 0.4f, spec.type));
    if (spec.qkv_bias && l == 0) added.push_back(add(p + "attn_qkv.bias", {spec.qkv_rows}, 0.1f, GgmlType::F32));
    added.push_back(add(p + "attn_output.weight", {kEmbd, kEmbd}, 0.1f, spec.type));
    added.push_back(add(p + "ffn_norm.weight", {kEmbd}, 0.1f, GgmlType::F32));
    added.push_back(add(p + "ffn_up.weight", {kEmbd, kFf}, 0.2f, spec.type));
    added.push_back(add(p + "ffn_down.weight", {kFf, kEmbd}, 0.1f, spec.type));
  }
  added.push_back(add("output_norm.weight", {kEmbd}, 0.1f, GgmlType::F32));
  for (const Status& s : added)
    if (!s) return s;
  return w.write(path);
}

Result<std::unique_ptr<CpuModel>> load_tiny_mpt(const TinyMptSpec& spec, const std::string& tag) {
  const fs::path path = fs::temp_directory_path() / ("tachyon_mpt_test_" + tag + ".gguf");
  Status written = write_tiny_mpt(spec, path.string());
  if (!written) return written.error();
  auto file = GgufFile::open(path.string());
  fs::remove(path);  // the mapping stays valid
  if (!file) return file.error();
  return load_model(*file);
}

TEST(MptModelLoadTest, LoadsThroughLoadModelWithTiedOutput) {
  auto model = load_tiny_mpt({}, "ok");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_NE(dynamic_cast<const MptModel*>(model->get()), nullptr);
  EXPECT_TRUE((*model)->tied_embeddings());
  const auto& mpt = static_cast<const MptModel&>(**model);
  EXPECT_EQ(mpt.mpt_params().clamp_kqv, 4.0f);
  EXPECT_EQ(mpt.mpt_params().max_alibi_bias, 8.0f);
}

TEST(MptModelLoadTest, MissingMaxAlibiBiasIsAnError) {
  TinyMptSpec spec;
  spec.max_alibi_bias = false;
  auto model = load_tiny_mpt(spec, "no_alibi");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("missing metadata mpt.attention.max_alibi_bias"), std::string::npos)
      << model.error().message;
}

TEST(MptModelLoadTest, MisshapenFusedQkvIsAnError) {
  TinyMptSpec spec;
  spec.qkv_rows = kEmbd * 3;  // as if K and V had all n_head heads
  auto model = load_tiny_mpt(spec, "bad_qkv");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("'blk.0.attn_qkv.weight' has shape 64x192 but [64, 128] was expected"),
            std::string::npos)
      << model.error().message;
}

TEST(MptModelLoadTest, TensorsThePassWouldIgnoreAreRefused) {
  TinyMptSpec spec;
  spec.qkv_bias = true;
  auto model = load_tiny_mpt(spec, "bias");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("tensor 'blk.0.attn_qkv.bias' is not supported"), std::string::npos)
      << model.error().message;
}

class MptModelForwardTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TinyMptSpec spec;
    spec.type = *ggml_type_from_name(GetParam());
    auto model = load_tiny_mpt(spec, GetParam());
    ASSERT_TRUE(model.ok()) << model.error().message;
    model_ = std::move(*model);
  }
  std::unique_ptr<CpuModel> model_;
  ThreadPool pool_{2};
};

std::vector<int32_t> tokens_for(int seed, int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((seed * 131 + i * 37) % int(kVocab));
  return t;
}

TEST_P(MptModelForwardTest, IncrementalDecodingEqualsOneBatch) {
  const auto tokens = tokens_for(1, 40);
  ContiguousKvCache kv_batch(model_->kv_shape(KvDType::F16), 1, 64);
  Batch all;
  for (int i = 0; i < 40; ++i) all.add(tokens[i], i, 0, true);
  std::vector<float> batch_logits;
  ASSERT_TRUE(model_->forward(all, kv_batch, pool_, batch_logits).ok());

  ContiguousKvCache kv_inc(model_->kv_shape(KvDType::F16), 1, 64);
  std::vector<float> logits;
  int pos = 0;
  for (int chunk : {7, 13, 1, 1, 18}) {
    Batch b;
    for (int i = 0; i < chunk; ++i, ++pos) b.add(tokens[pos], pos, 0, true);
    ASSERT_TRUE(model_->forward(b, kv_inc, pool_, logits).ok());
    for (int i = 0; i < chunk; ++i) {
      const int p = pos - chunk + i;
      ASSERT_TRUE(std::equal(logits.begin() + i * kVocab, logits.begin() + (i + 1) * kVocab,
                             batch_logits.begin() + p * kVocab))
          << "position " << p;
    }
  }
}

TEST_P(MptModelForwardTest, SequencesInOneBatchEqualSequencesAlone) {
  testing_support::expect_mixed_batch_equals_sequences_alone(
      *model_, {tokens_for(2, 9), tokens_for(3, 30), tokens_for(4, 1), tokens_for(5, 17)}, pool_);
}

INSTANTIATE_TEST_SUITE_P(Types, MptModelForwardTest, ::testing::Values("f32", "q8_0"));

}  // namespace
}  // namespace tachyon
