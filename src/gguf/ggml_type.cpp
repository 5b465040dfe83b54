#include "gguf/ggml_type.h"

#include <array>
#include <cctype>
#include <cstdlib>

namespace tachyon {
namespace {

constexpr std::array<GgmlTypeTraits, 20> kTraits{{
    {GgmlType::F32, "f32", 1, 4, false},
    {GgmlType::F16, "f16", 1, 2, false},
    {GgmlType::Q4_0, "q4_0", QK4_0, sizeof(BlockQ4_0), true},
    {GgmlType::Q4_1, "q4_1", QK4_1, sizeof(BlockQ4_1), true},
    {GgmlType::Q5_0, "q5_0", QK5_0, sizeof(BlockQ5_0), true},
    {GgmlType::Q5_1, "q5_1", QK5_1, sizeof(BlockQ5_1), true},
    {GgmlType::Q8_0, "q8_0", QK8_0, sizeof(BlockQ8_0), true},
    {GgmlType::Q8_1, "q8_1", QK8_1, sizeof(BlockQ8_1), true},
    {GgmlType::Q2_K, "q2_K", QK_K, sizeof(BlockQ2_K), true},
    {GgmlType::Q3_K, "q3_K", QK_K, sizeof(BlockQ3_K), true},
    {GgmlType::Q4_K, "q4_K", QK_K, sizeof(BlockQ4_K), true},
    {GgmlType::Q5_K, "q5_K", QK_K, sizeof(BlockQ5_K), true},
    {GgmlType::Q6_K, "q6_K", QK_K, sizeof(BlockQ6_K), true},
    {GgmlType::Q8_K, "q8_K", QK_K, sizeof(BlockQ8_K), true},
    {GgmlType::I8, "i8", 1, 1, false},
    {GgmlType::I16, "i16", 1, 2, false},
    {GgmlType::I32, "i32", 1, 4, false},
    {GgmlType::I64, "i64", 1, 8, false},
    {GgmlType::F64, "f64", 1, 8, false},
    {GgmlType::BF16, "bf16", 1, 2, false},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t type_id) {
  for (const auto& t : kTraits)
    if (static_cast<uint32_t>(t.type) == type_id) return t;
  return std::nullopt;
}

const GgmlTypeTraits& ggml_traits(GgmlType type) {
  for (const auto& t : kTraits)
    if (t.type == type) return t;
  std::abort();  // every enumerator is in the table
}

std::string_view ggml_type_name(GgmlType type) { return ggml_traits(type).name; }

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
  for (const auto& t : kTraits)
    if (iequals(t.name, name)) return t.type;
  return std::nullopt;
}

size_t ggml_row_size(GgmlType type, int64_t n) {
  const auto& t = ggml_traits(type);
  return static_cast<size_t>(n / t.block_size) * t.type_size;
}

}  // namespace tachyon
