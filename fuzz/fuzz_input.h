#pragma once
// Shared by the fuzz targets: the input as text, and a file holding it for readers that open paths.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tachyon::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Writes the input to a per-process file and returns its path (overwritten on every call).
std::string write_input_file(const uint8_t* data, size_t size);

}  // namespace tachyon::fuzz
