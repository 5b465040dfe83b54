#include "fuzz_input.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace tachyon::fuzz {

std::string write_input_file(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("tachyon-fuzz-" + std::to_string(getpid()))).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace tachyon::fuzz
