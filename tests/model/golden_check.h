#pragma once
// Shared by the golden tests of every device: llama.cpp's goldens (tests/data and, when present,
// ../shared/testdata), the tolerances of the reference data's README (section 5), and the
// comparison of a sequence's logits with a golden file's position records.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/forward_pass.h"
#include "model/load_model.h"

namespace tachyon::golden {

namespace fs = std::filesystem;
using nlohmann::json;

struct Tolerance {
  double max_abs, mean_abs, lse, margin;
};

inline Tolerance tolerance_for(const std::string& golden_name) {
  // Other architectures: ../shared/testdata/arch/README.md, section 5.
  static const std::map<std::string, Tolerance> arch_table{
      {"mpt-128-F32.kvf32", {0.01, 2e-3, 5e-3, 0.02}},   {"qwen2-128-F32.kvf32", {1e-3, 1e-4, 1e-3, 0.01}},
      {"phi3-128-F32.kvf32", {1e-3, 1e-4, 1e-3, 0.01}},  {"gemma2-128-F32.kvf32", {0.06, 0.01, 0.03, 0.05}},
      {"mpt-128-F32.p", {0.1, 0.01, 0.02, 0.05}},        {"qwen2-128-F32.p", {0.1, 0.01, 0.02, 0.05}},
      {"phi3-128-F32.p", {0.1, 0.01, 0.02, 0.05}},       {"gemma2-128-F32.p", {0.15, 0.025, 0.05, 0.1}},
      {"mpt-128-Q8_0", {1.5, 0.2, 0.5, 1.0}},            {"qwen2-128-Q8_0", {1.5, 0.2, 0.5, 1.0}},
      {"phi3-128-Q8_0", {1.5, 0.2, 0.5, 1.0}},           {"gemma2-128-Q8_0", {3.0, 0.5, 1.0, 2.0}}};
  for (const auto& [key, tol] : arch_table)
    if (golden_name.find("arch-" + key) != std::string::npos) return tol;
  if (golden_name.find(".kvf32.") != std::string::npos) return {1e-3, 1e-4, 1e-3, 0.01};
  static const std::map<std::string, Tolerance> table{
      {"256-F32", {0.05, 0.005, 0.02, 0.05}}, {"128-tied-F32", {0.05, 0.005, 0.02, 0.05}},
      {"256-F16", {0.06, 0.01, 0.03, 0.05}},  {"256-BF16", {0.3, 0.05, 0.15, 0.2}},
      {"256-Q8_0", {1.0, 0.2, 0.5, 1.0}},     {"256-Q4_0", {1.0, 0.2, 0.6, 1.0}},
      {"256-Q6_K", {1.2, 0.25, 0.8, 1.0}},    {"256-Q4_K_M", {1.2, 0.25, 1.0, 1.0}}};
  for (const auto& [key, tol] : table)
    if (golden_name.find("golden-llama-" + key + ".") != std::string::npos) return tol;
  ADD_FAILURE() << "no tolerance for " << golden_name;
  return {0, 0, 0, 0};
}

// Goldens whose names start with prefix ("golden-llama-", "arch-mpt-", ...): from the project's
// copy, then from the shared reference folder when present.
inline std::vector<fs::path> golden_files(const std::string& prefix = "golden-") {
  std::map<std::string, fs::path> found;
  for (const char* dir :
       {TACHYON_TEST_DATA "/golden", TACHYON_SHARED_TESTDATA "/golden", TACHYON_SHARED_TESTDATA "/arch/golden"}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json" && e.path().filename().string().rfind(prefix, 0) == 0)
        found.emplace(e.path().filename().string(), e.path());
  }
  std::vector<fs::path> out;
  for (auto& [name, path] : found) out.push_back(path);
  return out;
}

inline std::optional<fs::path> model_file(const std::string& name) {
  for (const char* dir :
       {TACHYON_TEST_DATA "/models", TACHYON_SHARED_TESTDATA "/models", TACHYON_SHARED_TESTDATA "/arch/models"})
    if (fs::exists(fs::path(dir) / name)) return fs::path(dir) / name;
  return std::nullopt;
}

// The forward pass of a model on the device under test; nullptr for the model's own CPU pass.
using DeviceForward = std::function<std::unique_ptr<ForwardPass>(const CpuModel&)>;

struct Loaded {
  std::shared_ptr<const GgufFile> file;
  std::unique_ptr<CpuModel> model;
  std::unique_ptr<ForwardPass> device;
  const ForwardPass& forward() const { return device ? *device : *model; }
};

inline Loaded load(const fs::path& path, const DeviceForward& on_device) {
  auto file = GgufFile::open(path.string());
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  auto model = load_model(*file);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  Loaded loaded{*file, std::move(*model), nullptr};
  if (on_device) loaded.device = on_device(*loaded.model);
  return loaded;
}

// Logits of every position of several sequences evaluated in one batch: (seq)(pos * V).
inline std::vector<std::vector<float>> run_batch(const ForwardPass& model,
                                                 const std::vector<std::vector<int32_t>>& seqs, KvDType kv_type,
                                                 ThreadPool& pool) {
  Batch batch;
  int32_t max_len = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (size_t i = 0; i < seqs[s].size(); ++i) batch.add(seqs[s][i], int32_t(i), int32_t(s), true);
    max_len = std::max<int32_t>(max_len, int32_t(seqs[s].size()));
  }
  auto kv = model.make_contiguous_kv(model.kv_shape(kv_type), int32_t(seqs.size()), max_len);
  EXPECT_TRUE(kv.ok()) << (kv.ok() ? "" : kv.error().message);
  if (!kv.ok()) return {};
  std::vector<float> logits;
  Status st = model.forward(batch, **kv, pool, logits);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  const int64_t V = model.hparams().n_vocab;
  std::vector<std::vector<float>> out;
  size_t row = 0;
  for (const auto& seq : seqs) {
    out.emplace_back(logits.begin() + row * V, logits.begin() + (row + seq.size()) * V);
    row += seq.size();
  }
  return out;
}

// Compares one sequence's logits with golden position records.
inline void compare_positions(const std::string& what, const json& positions, const std::vector<float>& logits, int64_t V,
                       const Tolerance& tol) {
  double max_abs = 0, sum_abs = 0, max_lse = 0;
  size_t n = 0, top1_checked = 0;
  for (size_t i = 0; i < positions.size(); ++i) {
    const json& p = positions[i];
    const float* row = &logits[i * V];
    for (const auto& entry : p["top"]) {
      const double d = std::abs(row[entry[0].get<int>()] - entry[1].get<double>());
      max_abs = std::max(max_abs, d);
      sum_abs += d;
      ++n;
    }
    const float mx = *std::max_element(row, row + V);
    double sum = 0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(double(row[j]) - mx);
    max_lse = std::max(max_lse, std::abs(mx + std::log(sum) - p["lse"].get<double>()));
    const double margin = p["top"][0][1].get<double>() - p["top"][1][1].get<double>();
    if (margin > tol.margin) {
      ++top1_checked;
      const int64_t argmax = std::max_element(row, row + V) - row;
      EXPECT_EQ(argmax, p["top"][0][0].get<int>()) << what << " position " << i << " margin " << margin;
    }
  }
  const double mean_abs = sum_abs / double(n);
  EXPECT_LE(max_abs, tol.max_abs) << what;
  EXPECT_LE(mean_abs, tol.mean_abs) << what;
  EXPECT_LE(max_lse, tol.lse) << what;
  std::printf("  %-48s max %.2e mean %.2e lse %.2e top-1 checked %zu/%zu\n", what.c_str(), max_abs, mean_abs,
              max_lse, top1_checked, positions.size());
}


// Every golden file: teacher-forced logits within tolerance, and each multi-sequence batch's
// sequences bit-identical to their single runs. on_device gives the forward pass of a loaded
// model on the device under test (nullptr: the model's own CPU pass). With kv_override, every
// golden made with llama.cpp's default F16 KV cache runs with that cache type instead, within
// its tolerances plus `allowance` (models whose rows the type cannot hold are skipped).
inline void check_reference_logits(const DeviceForward& on_device, const std::string& prefix = "golden-",
                                   std::optional<KvDType> kv_override = std::nullopt, Tolerance allowance = {}) {
  const auto files = golden_files(prefix);
  ASSERT_FALSE(files.empty()) << "no golden files " << prefix << "* in tests/data/golden";
  if (!fs::is_directory(TACHYON_SHARED_TESTDATA))
    std::printf("note: %s is absent; only the goldens copied into tests/data are checked\n", TACHYON_SHARED_TESTDATA);
  ThreadPool pool;
  std::map<std::string, Loaded> models;
  size_t checked = 0;
  for (const auto& path : files) {
    std::ifstream in(path);
    const json g = json::parse(in);
    const std::string model_name = g["model"];
    const auto model_path = model_file(model_name);
    if (!model_path) {
      std::printf("skipped %s: model %s not found\n", path.filename().c_str(), model_name.c_str());
      continue;
    }
    if (kv_override && g["reference"]["kv_cache_type"] == "f32") continue;
    if (!models.count(model_name)) models.emplace(model_name, load(*model_path, on_device));
    const ForwardPass& model = models.at(model_name).forward();
    const int64_t V = model.hparams().n_vocab;
    Tolerance tol = tolerance_for(path.filename().string());
    KvDType kv_type = g["reference"]["kv_cache_type"] == "f32" ? KvDType::F32 : KvDType::F16;
    if (kv_override) {
      if (!model.kv_shape(*kv_override).check()) {
        std::printf("skipped %s: %s\n", path.filename().c_str(), model.kv_shape(*kv_override).check().error().message.c_str());
        continue;
      }
      kv_type = *kv_override;
      tol = {tol.max_abs + allowance.max_abs, tol.mean_abs + allowance.mean_abs, tol.lse + allowance.lse,
             tol.margin + allowance.margin};
    }
    if (g.contains("sequences")) {
      std::vector<std::vector<int32_t>> seqs;
      for (const auto& s : g["sequences"]) seqs.push_back(s["tokens"].get<std::vector<int32_t>>());
      const auto batched = run_batch(model, seqs, kv_type, pool);
      for (size_t s = 0; s < seqs.size(); ++s) {
        compare_positions(path.filename().string() + " seq " + std::to_string(s), g["sequences"][s]["positions"],
                          batched[s], V, tol);
        // Batch invariance: the same sequence alone gives bit-identical logits.
        const auto alone = run_batch(model, {seqs[s]}, kv_type, pool);
        EXPECT_TRUE(alone[0] == batched[s]) << path.filename() << " seq " << s << " differs from its single run";
      }
    } else {
      const auto tokens = g["tokens"].get<std::vector<int32_t>>();
      const auto logits = run_batch(model, {tokens}, kv_type, pool);
      compare_positions(path.filename().string(), g["positions"], logits[0], V, tol);
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// Greedy generation (prefill, then one token per step) reproduces the golden continuation up to
// the first step whose golden margin is within the top-1 tolerance; at that near-tie step the
// token must be one of the golden's tied candidates, and after it the sequences may diverge.
inline void check_greedy_continuations(const DeviceForward& on_device, const std::string& prefix = "golden-") {
  ThreadPool pool;
  size_t checked = 0;
  for (const auto& path : golden_files(prefix)) {
    std::ifstream in(path);
    const json g = json::parse(in);
    if (!g.contains("continuation_tokens")) continue;
    const auto model_path = model_file(g["model"]);
    if (!model_path) continue;
    Loaded loaded = load(*model_path, on_device);
    const ForwardPass& model = loaded.forward();
    const Tolerance tol = tolerance_for(path.filename().string());
    const auto prompt = g["prompt_tokens"].get<std::vector<int32_t>>();
    const auto expected = g["continuation_tokens"].get<std::vector<int32_t>>();
    const int64_t n_prompt = int64_t(prompt.size());
    auto kv = model.make_contiguous_kv(
        model.kv_shape(g["reference"]["kv_cache_type"] == "f32" ? KvDType::F32 : KvDType::F16), 1,
        int32_t(n_prompt + expected.size()));
    ASSERT_TRUE(kv.ok()) << kv.error().message;
    Batch batch;
    for (int64_t i = 0; i < n_prompt; ++i) batch.add(prompt[i], int32_t(i), 0, i + 1 == n_prompt);
    std::vector<float> logits;
    for (size_t k = 0; k < expected.size(); ++k) {
      ASSERT_TRUE(model.forward(batch, **kv, pool, logits).ok());
      const int32_t token = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      const json& top = g["positions"][n_prompt - 1 + k]["top"];
      const double best = top[0][1].get<double>();
      if (best - top[1][1].get<double>() <= tol.margin) {
        bool tied = false;
        for (const auto& entry : top)
          tied |= entry[0].get<int32_t>() == token && best - entry[1].get<double>() <= tol.margin;
        EXPECT_TRUE(tied) << path.filename() << " step " << k << ": token " << token << " is not a near-tie candidate";
        break;
      }
      ASSERT_EQ(token, expected[k]) << path.filename() << " step " << k;
      batch.clear();
      batch.add(token, int32_t(n_prompt + k), 0, true);
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace tachyon::golden
