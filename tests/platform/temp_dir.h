#pragma once
// A fresh directory under the system temp folder, removed with everything in it at scope exit.
#include <filesystem>
#include <random>
#include <string>

namespace tachyon::platform::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("tachyon-platform-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A clock the test moves by hand (milliseconds).
struct ManualClock {
  int64_t now = 1'700'000'000'000;
  auto fn() { return [this] { return now; }; }
};

}  // namespace tachyon::platform::testing
