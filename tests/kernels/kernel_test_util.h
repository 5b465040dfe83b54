#pragma once
// Shared helpers of the kernels tests: random rows and their quantized forms.
#include <cstdint>
#include <random>
#include <vector>

#include "gguf/ggml_type.h"
#include "gguf/quantize.h"

namespace tachyon::testing {

// Normal values with a few large outliers, like real activations and weights.
inline std::vector<float> random_row(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 63);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& v : row) v = pick(rng) == 0 ? 8.0f * normal(rng) : normal(rng);
  return row;
}

// `src` stored as `type` (a whole number of blocks).
inline std::vector<uint8_t> quantized(GgmlType type, const std::vector<float>& src) {
  const int64_t n = static_cast<int64_t>(src.size());
  std::vector<uint8_t> out(ggml_row_size(type, n));
  (void)quantize_row(type, src.data(), out.data(), n);
  return out;
}

inline const GgmlType kWeightTypes[] = {
    GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
    GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
};

}  // namespace tachyon::testing
