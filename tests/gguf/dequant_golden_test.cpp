// Every tensor of every golden model dequantized to float32 must hash exactly as ggml's
// dequantization does (tests/data/dequant/*.dequant.json), and rows 0, 1 and last must match.
// Also checks that quantizing the F32 master reproduces, byte for byte, the blocks llama-quantize
// wrote (it uses ggml's reference quantizers when no importance matrix is given).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/quantize.h"
#include "test_files.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

using testing::find_model;

std::string sha256_hex(const void* data, size_t n) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data, n, digest, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::vector<float> dequantize_tensor(const GgufTensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  const size_t row_bytes = ggml_row_size(t.type, t.ne[0]);
  for (int64_t r = 0; r < t.n_rows(); ++r)
    dequantize_row(t.type, t.data + r * row_bytes, out.data() + r * t.ne[0], t.ne[0]);
  return out;
}

std::vector<fs::path> golden_files() {
  std::vector<fs::path> files;
  const fs::path dir = TACHYON_TEST_DATA "/dequant";
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().ends_with(".dequant.json")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(DequantGolden, MatchesGgmlBitForBit) {
  const auto files = golden_files();
  ASSERT_FALSE(files.empty()) << "no tests/data/dequant/*.dequant.json";
  int n_checked = 0;
  for (const auto& path : files) {
    std::ifstream in(path);
    const auto golden = nlohmann::json::parse(in);
    const std::string model_path = find_model(golden["model"].get<std::string>());
    if (model_path.empty()) {
      GTEST_SKIP() << "model " << golden["model"] << " not found in tests/data/models or ../shared/testdata/models";
    }
    auto file = GgufFile::open(model_path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    for (const auto& expected : golden["tensors"]) {
      const std::string name = expected["name"];
      SCOPED_TRACE(model_path + " " + name);
      const GgufTensorInfo* t = (*file)->tensor(name);
      ASSERT_NE(t, nullptr);
      ASSERT_EQ(ggml_type_from_name(expected["type"].get<std::string>()), t->type);
      ASSERT_EQ(expected["ne"].get<std::vector<int64_t>>(), t->ne);
      ASSERT_TRUE(can_dequantize(t->type));
      const auto values = dequantize_tensor(*t);
      EXPECT_EQ(sha256_hex(values.data(), values.size() * sizeof(float)), expected["sha256_f32"].get<std::string>());
      for (const auto& [row_key, row_values] : expected["rows"].items()) {
        const int64_t row = std::stoll(row_key);
        ASSERT_LT(row, t->n_rows());
        const auto ref = row_values.get<std::vector<double>>();
        ASSERT_EQ(static_cast<int64_t>(ref.size()), t->ne[0]);
        for (int64_t i = 0; i < t->ne[0]; ++i)
          ASSERT_EQ(values[row * t->ne[0] + i], static_cast<float>(ref[i])) << "row " << row << " col " << i;
      }
      ++n_checked;
    }
  }
  EXPECT_GT(n_checked, 0);
}

// How many blocks of `quantized` quantizing the F32 master's tensor reproduces byte for byte.
struct BlockMatch {
  int64_t n_blocks = 0;
  int64_t n_equal = 0;
};

BlockMatch compare_with_llama_quantize(const GgufTensorInfo& master, const GgufTensorInfo& quantized) {
  const auto& traits = ggml_traits(quantized.type);
  std::vector<uint8_t> ours(quantized.n_bytes);
  const size_t row_bytes = ggml_row_size(quantized.type, master.ne[0]);
  for (int64_t r = 0; r < master.n_rows(); ++r)
    quantize_row(quantized.type, reinterpret_cast<const float*>(master.data) + r * master.ne[0],
                 ours.data() + r * row_bytes, master.ne[0]);
  BlockMatch m;
  m.n_blocks = static_cast<int64_t>(quantized.n_bytes / traits.type_size);
  for (int64_t b = 0; b < m.n_blocks; ++b)
    m.n_equal += std::memcmp(ours.data() + b * traits.type_size, quantized.data + b * traits.type_size,
                             traits.type_size) == 0;
  return m;
}

TEST(DequantGolden, QuantizersReproduceLlamaQuantize) {
  const std::string master_path = find_model("golden-llama-256-F32.gguf");
  if (master_path.empty()) GTEST_SKIP() << "golden-llama-256-F32.gguf not found";
  auto master = GgufFile::open(master_path);
  ASSERT_TRUE(master.ok()) << master.error().message;
  for (const std::string name : {"golden-llama-256-Q8_0.gguf", "golden-llama-256-Q4_0.gguf",
                                 "golden-llama-256-Q6_K.gguf", "golden-llama-256-Q4_K_M.gguf"}) {
    const std::string path = find_model(name);
    if (path.empty()) GTEST_SKIP() << name << " not found";
    auto quantized = GgufFile::open(path);
    ASSERT_TRUE(quantized.ok()) << quantized.error().message;
    for (const auto& t : (*quantized)->tensors()) {
      if (!ggml_traits(t.type).quantized) continue;
      const GgufTensorInfo* m = (*master)->tensor(t.name);
      ASSERT_NE(m, nullptr) << t.name;
      const BlockMatch match = compare_with_llama_quantize(*m, t);
      EXPECT_EQ(match.n_equal, match.n_blocks)
          << name << " " << t.name << " (" << ggml_type_name(t.type) << "): " << match.n_equal << " of "
          << match.n_blocks << " blocks identical";
    }
  }
}

}  // namespace
}  // namespace tachyon
