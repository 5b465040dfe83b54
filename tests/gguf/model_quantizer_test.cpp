// quantize_model on a small random F32 model written with GgufWriter, and on the golden F32 model
// against the llama.cpp-quantized goldens.
#include "gguf/model_quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf/quantize.h"
#include "test_files.h"

namespace tachyon {
namespace {

using testing::TempDir;

struct TensorData {
  std::string name;
  std::vector<int64_t> ne;
  std::vector<float> values;
};

// A two-layer llama-like model: 2-D weights with rows of 256 (and one of 96, which only the
// 32-element formats can hold), 1-D norms, optionally a separate output matrix.
std::vector<TensorData> make_tensors(bool with_output) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> dist(0.0f, 0.5f);
  std::vector<TensorData> tensors;
  auto add = [&](std::string name, std::vector<int64_t> ne) {
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = dist(rng);
    tensors.push_back({std::move(name), std::move(ne), std::move(v)});
  };
  add("token_embd.weight", {256, 40});
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "blk." + std::to_string(layer) + ".";
    add(p + "attn_norm.weight", {256});
    add(p + "attn_v.weight", {256, 64});
    add(p + "ffn_down.weight", {512, 256});
    add(p + "ffn_up.weight", {256, 512});
  }
  add("blk.1.odd.weight", {96, 8});
  add("output_norm.weight", {256});
  if (with_output) add("output.weight", {256, 40});
  return tensors;
}

std::string write_model(const TempDir& dir, const std::vector<TensorData>& tensors, const std::string& name) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("general.file_type", 0);
  w.set_u32("llama.block_count", 2);
  w.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
  for (const auto& t : tensors)
    EXPECT_TRUE(w.add_tensor(t.name, GgmlType::F32, t.ne, t.values.data(), t.values.size() * sizeof(float)));
  const std::string path = dir.file(name);
  EXPECT_TRUE(w.write(path));
  return path;
}

double relative_rms_error(const GgufTensorInfo& t, const std::vector<float>& ref) {
  std::vector<float> row(static_cast<size_t>(t.ne[0]));
  const size_t row_bytes = ggml_row_size(t.type, t.ne[0]);
  double err = 0, norm = 0;
  for (int64_t r = 0; r < t.n_rows(); ++r) {
    dequantize_row(t.type, t.data + r * row_bytes, row.data(), t.ne[0]);
    for (int64_t i = 0; i < t.ne[0]; ++i) {
      const double x = ref[static_cast<size_t>(r * t.ne[0] + i)];
      err += (x - row[i]) * (x - row[i]);
      norm += x * x;
    }
  }
  return std::sqrt(err / norm);
}

// About 10-15 % above what ggml's reference algorithms give on Gaussian data.
double error_bound(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return 0.0;
    case GgmlType::F16: return 3e-4;
    case GgmlType::BF16: return 2.5e-3;
    case GgmlType::Q8_0: return 0.007;
    case GgmlType::Q6_K: return 0.02;
    case GgmlType::Q5_0: return 0.048;
    case GgmlType::Q5_1: return 0.043;
    case GgmlType::Q5_K: return 0.04;
    case GgmlType::Q4_0: return 0.095;
    case GgmlType::Q4_1: return 0.088;
    case GgmlType::Q4_K: return 0.08;
    default: return 0.0;
  }
}

TEST(ModelQuantizer, EveryTargetType) {
  TempDir dir("quantizer_types");
  const auto tensors = make_tensors(true);
  const std::string in = write_model(dir, tensors, "f32.gguf");
  const std::map<GgmlType, uint32_t> file_types = {
      {GgmlType::F32, 0},   {GgmlType::F16, 1},   {GgmlType::Q4_0, 2},  {GgmlType::Q4_1, 3},
      {GgmlType::Q8_0, 7},  {GgmlType::Q5_0, 8},  {GgmlType::Q5_1, 9},  {GgmlType::Q4_K, 15},
      {GgmlType::Q5_K, 17}, {GgmlType::Q6_K, 18}, {GgmlType::BF16, 32},
  };
  for (const auto& [type, file_type] : file_types) {
    SCOPED_TRACE(std::string(ggml_type_name(type)));
    const std::string out = dir.file(std::string(ggml_type_name(type)) + ".gguf");
    const Status s = quantize_model(in, out, type, 2);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto opened = GgufFile::open(out);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    const auto& f = *opened;
    EXPECT_EQ(f->get_int("general.file_type"), file_type);
    EXPECT_EQ(f->get_string("general.architecture"), "llama");
    EXPECT_EQ(f->get_string_array("tokenizer.ggml.tokens"), (std::vector<std::string>{"<unk>", "<s>", "</s>"}));
    EXPECT_EQ(f->get_int("general.quantization_version"), 2);
    ASSERT_EQ(f->tensors().size(), tensors.size());

    const bool low_bit = type == GgmlType::Q4_0 || type == GgmlType::Q4_1 || type == GgmlType::Q5_0 ||
                         type == GgmlType::Q5_1 || type == GgmlType::Q4_K || type == GgmlType::Q5_K;
    const bool k_mix = type == GgmlType::Q4_K || type == GgmlType::Q5_K;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& ref = tensors[i];
      const GgufTensorInfo& t = f->tensors()[i];
      ASSERT_EQ(t.name, ref.name);
      EXPECT_EQ(t.ne, ref.ne);
      GgmlType expected = type;
      if (ref.ne.size() == 1) expected = GgmlType::F32;
      else if (ref.name == "output.weight" && low_bit) expected = GgmlType::Q6_K;
      else if (ref.name == "blk.1.odd.weight" && ggml_traits(type).block_size == QK_K) expected = GgmlType::F32;
      // With two layers the _M mix gives layer 1 (the last eighth) more bits.
      else if (k_mix && (ref.name == "blk.1.attn_v.weight" || ref.name == "blk.1.ffn_down.weight"))
        expected = GgmlType::Q6_K;
      EXPECT_EQ(t.type, expected) << t.name << " is " << ggml_type_name(t.type);
      EXPECT_LE(relative_rms_error(t, ref.values), error_bound(t.type)) << t.name;
    }
  }
}

TEST(ModelQuantizer, TiedEmbeddingsGetOutputType) {
  TempDir dir("quantizer_tied");
  const std::string in = write_model(dir, make_tensors(false), "tied.gguf");
  ASSERT_TRUE(quantize_model(in, dir.file("q4.gguf"), GgmlType::Q4_0, 1));
  auto f = GgufFile::open(dir.file("q4.gguf"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->tensor("token_embd.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ((*f)->tensor("blk.0.ffn_up.weight")->type, GgmlType::Q4_0);

  // Requantizing an already quantized model goes through float32.
  ASSERT_TRUE(quantize_model(dir.file("q4.gguf"), dir.file("q8.gguf"), GgmlType::Q8_0, 2));
  auto g = GgufFile::open(dir.file("q8.gguf"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->tensor("token_embd.weight")->type, GgmlType::Q8_0);
  EXPECT_EQ((*g)->get_int("general.file_type"), 7);
}

TEST(ModelQuantizer, Errors) {
  TempDir dir("quantizer_errors");
  const Status missing = quantize_model(dir.file("missing.gguf"), dir.file("out.gguf"), GgmlType::Q8_0, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing.gguf"), std::string::npos);
  const std::string in = write_model(dir, make_tensors(true), "f32.gguf");
  const Status bad_type = quantize_model(in, dir.file("out.gguf"), GgmlType::Q8_K, 1);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.error().message.find("q8_K"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.gguf")));
}

// Quantizing the golden F32 master must give every tensor the type llama-quantize gave it (the
// Q4_K_M mix included) and the very same bytes.
TEST(ModelQuantizer, MatchesLlamaQuantizeGoldens) {
  const std::string master = testing::find_model("golden-llama-256-F32.gguf");
  if (master.empty()) GTEST_SKIP() << "golden-llama-256-F32.gguf not found";
  TempDir dir("quantizer_golden");
  const std::pair<GgmlType, std::string> cases[] = {
      {GgmlType::Q4_K, "golden-llama-256-Q4_K_M.gguf"},
      {GgmlType::Q6_K, "golden-llama-256-Q6_K.gguf"},
      {GgmlType::Q8_0, "golden-llama-256-Q8_0.gguf"},
      {GgmlType::F16, "golden-llama-256-F16.gguf"},
      {GgmlType::BF16, "golden-llama-256-BF16.gguf"},
  };
  for (const auto& [type, golden_name] : cases) {
    SCOPED_TRACE(golden_name);
    const std::string golden_path = testing::find_model(golden_name);
    if (golden_path.empty()) GTEST_SKIP() << golden_name << " not found";
    const std::string out = dir.file(golden_name);
    ASSERT_TRUE(quantize_model(master, out, type, 2));
    auto ours = GgufFile::open(out);
    auto golden = GgufFile::open(golden_path);
    ASSERT_TRUE(ours.ok() && golden.ok());
    EXPECT_EQ((*ours)->get_int("general.file_type"), (*golden)->get_int("general.file_type"));
    EXPECT_EQ((*ours)->get_int("general.quantization_version"),
              (*golden)->get_int("general.quantization_version"));
    // llama-quantize writes tensors in its own order; match them by name.
    ASSERT_EQ((*ours)->tensors().size(), (*golden)->tensors().size());
    for (const auto& a : (*ours)->tensors()) {
      const GgufTensorInfo* golden_tensor = (*golden)->tensor(a.name);
      ASSERT_NE(golden_tensor, nullptr) << a.name;
      const auto& b = *golden_tensor;
      EXPECT_EQ(a.type, b.type) << a.name;
      EXPECT_EQ(a.ne, b.ne) << a.name;
      if (a.type != b.type || a.n_bytes != b.n_bytes) continue;
      size_t n_diff = 0;
      for (size_t k = 0; k < a.n_bytes; ++k) n_diff += a.data[k] != b.data[k];
      EXPECT_EQ(n_diff, 0u) << a.name << ": " << n_diff << " bytes differ";
    }
  }
}

}  // namespace
}  // namespace tachyon
