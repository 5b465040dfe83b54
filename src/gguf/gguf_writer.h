#pragma once
// Builds a GGUF v3 file: metadata key/values in insertion order, then a tensor table, then the
// tensor data, each tensor aligned to general.alignment (32 unless that key is set). One thread
// builds and writes a writer; it is not shared.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "util/result.h"

namespace tachyon {

class GgufWriter {
 public:
  // Setters add a key or replace its value (the key keeps its first position).
  void set_u8(std::string_view key, uint8_t v);
  void set_i8(std::string_view key, int8_t v);
  void set_u16(std::string_view key, uint16_t v);
  void set_i16(std::string_view key, int16_t v);
  void set_u32(std::string_view key, uint32_t v);
  void set_i32(std::string_view key, int32_t v);
  void set_u64(std::string_view key, uint64_t v);
  void set_i64(std::string_view key, int64_t v);
  void set_f32(std::string_view key, float v);
  void set_f64(std::string_view key, double v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string_view v);
  void set_string_array(std::string_view key, const std::vector<std::string>& v);
  void set_f32_array(std::string_view key, const std::vector<float>& v);
  void set_i32_array(std::string_view key, const std::vector<int32_t>& v);
  // Any value, e.g. one read from a GgufFile; its declared types are written as they are.
  void set_value(std::string_view key, const GgufValue& v);
  // Removes a key if present.
  void remove(std::string_view key);

  const std::vector<GgufKeyValue>& metadata() const { return kv_; }

  // Adds a tensor (in file order). The data is REFERENCED, not copied: it must stay valid and
  // unchanged until write() returns. Errors: duplicate name, 0 or more than 4 dimensions, a row
  // length that is not a multiple of the type's block size, or n_bytes not matching type and ne.
  Status add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> ne, const void* data,
                    size_t n_bytes);

  // Writes the file to path + ".tmp" and renames it to path, so a failure or crash never leaves a
  // partial file at path. Errors name the path and the failing step.
  Status write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    const void* data;
    size_t n_bytes;
  };

  void set(std::string_view key, GgufValue v);
  Result<uint64_t> alignment() const;

  std::vector<GgufKeyValue> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace tachyon
