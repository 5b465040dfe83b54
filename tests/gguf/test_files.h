#pragma once
// Where the gguf tests find models, and a scratch directory removed when the test ends.
#include <unistd.h>

#include <filesystem>
#include <string>

namespace tachyon::testing {

// The model from tests/data/models if copied there, else from the shared test data; empty if neither.
inline std::string find_model(const std::string& file) {
  for (const std::string dir : {TACHYON_TEST_DATA "/models", TACHYON_SHARED_TESTDATA "/models"})
    if (std::filesystem::exists(dir + "/" + file)) return dir + "/" + file;
  return {};
}

// A fresh directory under the system temp dir, unique per process and name.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("tachyon_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tachyon::testing
