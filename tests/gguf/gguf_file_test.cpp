// Malformed GGUF files built byte by byte must be rejected with a message naming the problem.
#include "gguf/gguf_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "test_files.h"

namespace tachyon {
namespace {

using testing::TempDir;

// Hand assembly of a GGUF file: header, one u32 key, one tensor, aligned data.
class FileBytes {
 public:
  template <typename T>
  FileBytes& put(T v) {
    const size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    std::memcpy(bytes.data() + at, &v, sizeof(T));
    return *this;
  }
  FileBytes& put_string(const std::string& s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  FileBytes& pad(size_t alignment) {
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
  std::vector<uint8_t> bytes;
};

struct TensorSpec {
  uint32_t type = 0;  // F32
  uint64_t ne0 = 8;
  uint64_t offset = 0;
  size_t data_bytes = 32;
};

FileBytes make_file(const TensorSpec& t, uint32_t magic = 0x46554747, uint32_t version = 3) {
  FileBytes f;
  f.put(magic).put(version).put<uint64_t>(1).put<uint64_t>(1);
  f.put_string("general.architecture").put<uint32_t>(8).put_string("llama");
  f.put_string("w").put<uint32_t>(1).put<uint64_t>(t.ne0).put(t.type).put<uint64_t>(t.offset);
  f.pad(32);
  f.bytes.resize(f.bytes.size() + t.data_bytes, 0);
  return f;
}

std::string write_bytes(const TempDir& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

void expect_open_error(const std::string& path, const std::string& needle) {
  auto f = GgufFile::open(path);
  ASSERT_FALSE(f.ok()) << path << " opened although malformed";
  EXPECT_NE(f.error().message.find(needle), std::string::npos) << f.error().message;
}

TEST(GgufFile, WellFormedHandMadeFileOpens) {
  TempDir dir("file_ok");
  auto f = GgufFile::open(write_bytes(dir, "ok.gguf", make_file({}).bytes));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ((*f)->get_string("general.architecture"), "llama");
  ASSERT_NE((*f)->tensor("w"), nullptr);
  EXPECT_EQ((*f)->tensor("w")->n_bytes, 32u);
}

TEST(GgufFile, WrongMagic) {
  TempDir dir("file_magic");
  expect_open_error(write_bytes(dir, "m.gguf", make_file({}, 0x46554746).bytes), "magic");
  expect_open_error(write_bytes(dir, "text.gguf", {'h', 'e', 'l', 'l', 'o', '\n', 0, 0}), "magic");
}

TEST(GgufFile, UnsupportedVersion) {
  TempDir dir("file_version");
  expect_open_error(write_bytes(dir, "v.gguf", make_file({}, 0x46554747, 99).bytes), "version");
}

TEST(GgufFile, UnknownTensorType) {
  TempDir dir("file_type");
  TensorSpec t;
  t.type = 99;
  expect_open_error(write_bytes(dir, "t.gguf", make_file(t).bytes), "unknown tensor type");
}

TEST(GgufFile, TensorOutOfBounds) {
  TempDir dir("file_bounds");
  TensorSpec t;
  t.offset = 1 << 20;
  expect_open_error(write_bytes(dir, "o.gguf", make_file(t).bytes), "out of bounds");
  TensorSpec big;
  big.ne0 = 1000;  // 4000 bytes claimed, 32 present
  expect_open_error(write_bytes(dir, "b.gguf", make_file(big).bytes), "out of bounds");
}

// Found by fuzz/gguf_fuzz: dimensions each in range whose product overflows int64 were
// multiplied before they were checked.
TEST(GgufFile, ElementCountOverflowIsAnError) {
  TempDir dir("file_overflow");
  FileBytes f;
  f.put<uint32_t>(0x46554747).put<uint32_t>(3).put<uint64_t>(1).put<uint64_t>(0);
  f.put_string("w").put<uint32_t>(3).put<uint64_t>((uint64_t(1) << 32) + 4).put<uint64_t>(uint64_t(1) << 33);
  f.put<uint64_t>(uint64_t(1) << 30).put<uint32_t>(0).put<uint64_t>(0);
  f.pad(32);
  const std::string path = write_bytes(dir, "overflow.gguf", f.bytes);
  expect_open_error(path, "too large");
}

TEST(GgufFile, Truncated) {
  TempDir dir("file_truncated");
  const auto full = make_file({}).bytes;
  // Cut inside the header, a metadata key, a metadata value, the tensor table and the data.
  for (size_t cut : {size_t{12}, size_t{30}, size_t{60}, size_t{85}, size_t{140}}) {
    const std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    expect_open_error(write_bytes(dir, fmt::format("c{}.gguf", cut), part), "truncated");
  }
}

TEST(GgufFile, MissingFile) {
  TempDir dir("file_missing");
  expect_open_error(dir.file("nope.gguf"), "cannot open");
}

}  // namespace
}  // namespace tachyon
