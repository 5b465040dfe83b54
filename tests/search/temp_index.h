#pragma once
// A fixture base for tests of the search index: a fresh read-write index in a directory of its
// own under the system's temporary folder, named after the test, removed afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "search/search_index.h"

namespace tachyon::search {

class TempIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tachyon-search-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto index = SearchIndex::open(index_file(dir_), SearchIndex::Mode::ReadWrite);
    ASSERT_TRUE(index.ok()) << index.error().message;
    index_ = std::move(*index);
  }
  void TearDown() override {
    index_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<SearchIndex> index_;
};

}  // namespace tachyon::search
