#pragma once
// Read-only view of a GGUF (v2/v3) file: metadata key/values and the tensor table. The file is
// memory-mapped; tensor data pointers point into the mapping and stay valid while the GgufFile
// lives. Immutable after open(), so any thread may read it.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/ggml_type.h"
#include "util/result.h"

namespace tachyon {

// The first four bytes of every GGUF file, "GGUF", as a little-endian integer.
inline constexpr uint32_t kGgufMagic = 0x46554747;

enum class GgufValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

std::string_view gguf_value_type_name(GgufValueType type);

// One metadata value. Scalars keep their declared type; integers are widened into i/u,
// floats into f. Arrays hold their element type and elements (nested arrays allowed).
struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  int64_t i = 0;     // INT8..INT64
  uint64_t u = 0;    // UINT8..UINT64, BOOL
  double f = 0;      // FLOAT32, FLOAT64
  std::string s;     // STRING
  GgufValueType array_type = GgufValueType::UINT8;
  std::vector<GgufValue> array;  // ARRAY

  bool is_integer() const;
  bool is_float() const;
  // Integer value of any integer or bool type; nullopt otherwise.
  std::optional<int64_t> as_int() const;
  // Numeric value of any integer or float type.
  std::optional<double> as_double() const;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;  // ne[0] is the contiguous (row) dimension, as in ggml
  uint64_t offset = 0;      // from the start of the data section
  size_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t n_elements() const;
  int64_t n_rows() const { return ne.empty() ? 0 : n_elements() / ne[0]; }
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

class GgufFile {
 public:
  // Maps and parses the file. Every malformed input (truncated, wrong magic, unknown version,
  // unknown tensor type, tensor out of bounds, misaligned data) is an Error naming the problem.
  static Result<std::shared_ptr<const GgufFile>> open(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  size_t file_size() const { return size_; }

  // Metadata in file order.
  const std::vector<GgufKeyValue>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;

  // Typed getters: nullopt when the key is missing or has an incompatible type.
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<std::vector<std::string>> get_string_array(std::string_view key) const;
  std::optional<std::vector<float>> get_float_array(std::string_view key) const;
  std::optional<std::vector<int64_t>> get_int_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* tensor(std::string_view name) const;

  // Maps the pages of a tensor's data now (the file is mapped lazily), for a tensor read a few
  // rows at a time at random (the token embeddings): otherwise each row a step looks up first
  // may cost that step a page fault, tens of microseconds in a virtual machine.
  void prefault(const GgufTensorInfo& t) const;

 private:
  GgufFile() = default;

  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  std::vector<GgufKeyValue> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace tachyon
