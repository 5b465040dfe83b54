// GgufWriter → GgufFile round trips: every value type, tensors of several types, alignment,
// atomic replacement and rejected inputs.
#include "gguf/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <numeric>

#include "gguf/gguf_file.h"
#include "test_files.h"

namespace tachyon {
namespace {

using testing::TempDir;

std::shared_ptr<const GgufFile> open_ok(const std::string& path) {
  auto f = GgufFile::open(path);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  return f.ok() ? *f : nullptr;
}

TEST(GgufWriter, RoundTripsEveryValueType) {
  TempDir dir("writer_values");
  GgufWriter w;
  w.set_u8("t.u8", 200);
  w.set_i8("t.i8", -100);
  w.set_u16("t.u16", 60000);
  w.set_i16("t.i16", -30000);
  w.set_u32("t.u32", 4000000000u);
  w.set_i32("t.i32", -2000000000);
  w.set_u64("t.u64", 18000000000000000000ull);
  w.set_i64("t.i64", -9000000000000000000ll);
  w.set_f32("t.f32", 1.25e-5f);
  w.set_f64("t.f64", 3.141592653589793);
  w.set_bool("t.true", true);
  w.set_bool("t.false", false);
  w.set_string("t.str", "héllo\nworld");
  w.set_string("t.empty", "");
  w.set_string_array("t.strs", {"a", "", "<s>", "▁the"});
  w.set_f32_array("t.f32s", {0.5f, -1.0f, 1e30f});
  w.set_i32_array("t.i32s", {1, -2, 2147483647});
  w.set_u32("t.replaced", 1);
  w.set_u32("t.replaced", 2);
  ASSERT_TRUE(w.write(dir.file("v.gguf")));

  auto f = open_ok(dir.file("v.gguf"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_TRUE(f->tensors().empty());
  ASSERT_EQ(f->metadata().size(), 18u);
  EXPECT_EQ(f->metadata()[0].key, "t.u8");
  EXPECT_EQ(f->metadata()[17].key, "t.replaced");
  auto type_of = [&](const char* key) { return f->find(key)->type; };
  EXPECT_EQ(type_of("t.u8"), GgufValueType::UINT8);
  EXPECT_EQ(type_of("t.i8"), GgufValueType::INT8);
  EXPECT_EQ(type_of("t.u16"), GgufValueType::UINT16);
  EXPECT_EQ(type_of("t.i16"), GgufValueType::INT16);
  EXPECT_EQ(type_of("t.u32"), GgufValueType::UINT32);
  EXPECT_EQ(type_of("t.i32"), GgufValueType::INT32);
  EXPECT_EQ(type_of("t.u64"), GgufValueType::UINT64);
  EXPECT_EQ(type_of("t.i64"), GgufValueType::INT64);
  EXPECT_EQ(type_of("t.f32"), GgufValueType::FLOAT32);
  EXPECT_EQ(type_of("t.f64"), GgufValueType::FLOAT64);
  EXPECT_EQ(type_of("t.true"), GgufValueType::BOOL);
  EXPECT_EQ(f->get_int("t.u8"), 200);
  EXPECT_EQ(f->get_int("t.i8"), -100);
  EXPECT_EQ(f->get_int("t.u16"), 60000);
  EXPECT_EQ(f->get_int("t.i16"), -30000);
  EXPECT_EQ(f->get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(f->get_int("t.i32"), -2000000000);
  EXPECT_EQ(f->find("t.u64")->u, 18000000000000000000ull);
  EXPECT_EQ(f->get_int("t.i64"), -9000000000000000000ll);
  EXPECT_EQ(f->get_float("t.f32"), static_cast<double>(1.25e-5f));
  EXPECT_EQ(f->get_float("t.f64"), 3.141592653589793);
  EXPECT_EQ(f->get_bool("t.true"), true);
  EXPECT_EQ(f->get_bool("t.false"), false);
  EXPECT_EQ(f->get_string("t.str"), "héllo\nworld");
  EXPECT_EQ(f->get_string("t.empty"), "");
  EXPECT_EQ(f->get_string_array("t.strs"), (std::vector<std::string>{"a", "", "<s>", "▁the"}));
  EXPECT_EQ(f->find("t.f32s")->array_type, GgufValueType::FLOAT32);
  EXPECT_EQ(f->get_float_array("t.f32s"), (std::vector<float>{0.5f, -1.0f, 1e30f}));
  EXPECT_EQ(f->find("t.i32s")->array_type, GgufValueType::INT32);
  EXPECT_EQ(f->get_int_array("t.i32s"), (std::vector<int64_t>{1, -2, 2147483647}));
  EXPECT_EQ(f->get_int("t.replaced"), 2);
}

TEST(GgufWriter, RoundTripsTensorsWithAlignment) {
  TempDir dir("writer_tensors");
  for (uint32_t alignment : {32u, 64u}) {
    GgufWriter w;
    if (alignment != 32) w.set_u32("general.alignment", alignment);
    std::vector<float> a(7 * 3);
    std::iota(a.begin(), a.end(), 0.0f);
    std::vector<uint16_t> b(5, 0x3C00);
    std::vector<BlockQ8_0> c(4);
    for (size_t i = 0; i < c.size(); ++i) {
      c[i].d = static_cast<uint16_t>(i);
      for (int j = 0; j < QK8_0; ++j) c[i].qs[j] = static_cast<int8_t>(j - static_cast<int>(i));
    }
    ASSERT_TRUE(w.add_tensor("a", GgmlType::F32, {7, 3}, a.data(), a.size() * 4));
    ASSERT_TRUE(w.add_tensor("b", GgmlType::F16, {5}, b.data(), b.size() * 2));
    ASSERT_TRUE(w.add_tensor("c.weight", GgmlType::Q8_0, {64, 2}, c.data(), c.size() * sizeof(BlockQ8_0)));
    const std::string path = dir.file(fmt::format("t{}.gguf", alignment));
    ASSERT_TRUE(w.write(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

    auto f = open_ok(path);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->alignment(), alignment);
    ASSERT_EQ(f->tensors().size(), 3u);
    const auto* ta = f->tensor("a");
    const auto* tb = f->tensor("b");
    const auto* tc = f->tensor("c.weight");
    ASSERT_TRUE(ta && tb && tc);
    EXPECT_EQ(f->tensors()[0].name, "a");
    EXPECT_EQ(ta->type, GgmlType::F32);
    EXPECT_EQ(ta->ne, (std::vector<int64_t>{7, 3}));
    EXPECT_EQ(tb->type, GgmlType::F16);
    EXPECT_EQ(tc->type, GgmlType::Q8_0);
    EXPECT_EQ(tc->ne, (std::vector<int64_t>{64, 2}));
    for (const auto* t : {ta, tb, tc}) {
      EXPECT_EQ(t->offset % alignment, 0u) << t->name;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % alignment, 0u) << t->name;
    }
    EXPECT_EQ(std::memcmp(ta->data, a.data(), a.size() * 4), 0);
    EXPECT_EQ(std::memcmp(tb->data, b.data(), b.size() * 2), 0);
    EXPECT_EQ(std::memcmp(tc->data, c.data(), c.size() * sizeof(BlockQ8_0)), 0);
    EXPECT_EQ(f->file_size() % alignment, 0u);
  }
}

TEST(GgufWriter, CopiesMetadataFromAFile) {
  TempDir dir("writer_copy");
  GgufWriter w;
  w.set_string_array("s", {"x", "y"});
  w.set_i32_array("i", {3, 4});
  w.set_f64("f", 0.1);
  w.set_u8("u", 7);
  ASSERT_TRUE(w.write(dir.file("a.gguf")));
  auto a = open_ok(dir.file("a.gguf"));
  ASSERT_TRUE(a);
  GgufWriter copy;
  for (const auto& kv : a->metadata()) copy.set_value(kv.key, kv.value);
  copy.remove("u");
  ASSERT_TRUE(copy.write(dir.file("b.gguf")));
  auto b = open_ok(dir.file("b.gguf"));
  ASSERT_TRUE(b);
  ASSERT_EQ(b->metadata().size(), 3u);
  EXPECT_EQ(b->find("u"), nullptr);
  EXPECT_EQ(b->get_string_array("s"), a->get_string_array("s"));
  EXPECT_EQ(b->get_int_array("i"), a->get_int_array("i"));
  EXPECT_EQ(b->find("f")->type, GgufValueType::FLOAT64);
  EXPECT_EQ(b->get_float("f"), 0.1);
}

TEST(GgufWriter, RejectsInvalidTensors) {
  GgufWriter w;
  std::vector<float> data(64);
  ASSERT_TRUE(w.add_tensor("x", GgmlType::F32, {64}, data.data(), 256));
  auto expect_error = [](const Status& s, const std::string& needle) {
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find(needle), std::string::npos) << s.error().message;
  };
  expect_error(w.add_tensor("x", GgmlType::F32, {64}, data.data(), 256), "duplicate");
  expect_error(w.add_tensor("y", GgmlType::F32, {}, data.data(), 0), "dimensions");
  expect_error(w.add_tensor("y", GgmlType::F32, {1, 1, 1, 1, 1}, data.data(), 4), "dimensions");
  expect_error(w.add_tensor("y", GgmlType::Q4_0, {48}, data.data(), 18), "block size");
  expect_error(w.add_tensor("y", GgmlType::F32, {64}, data.data(), 128), "bytes");
  expect_error(w.add_tensor("y", GgmlType::F32, {0}, data.data(), 0), "dimension");
}

TEST(GgufWriter, FailedWriteLeavesNothing) {
  TempDir dir("writer_fail");
  GgufWriter w;
  w.set_u32("general.alignment", 48);
  const Status bad_alignment = w.write(dir.file("a.gguf"));
  ASSERT_FALSE(bad_alignment.ok());
  EXPECT_NE(bad_alignment.error().message.find("alignment"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  GgufWriter ok;
  const Status missing_dir = ok.write(dir.file("no/such/dir/a.gguf"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().message.find("no/such/dir"), std::string::npos);
}

TEST(GgufWriter, ReplacesAnExistingFile) {
  TempDir dir("writer_replace");
  GgufWriter first;
  first.set_u32("v", 1);
  ASSERT_TRUE(first.write(dir.file("m.gguf")));
  auto old_view = open_ok(dir.file("m.gguf"));  // a reader holding the old file keeps its data
  GgufWriter second;
  second.set_u32("v", 2);
  ASSERT_TRUE(second.write(dir.file("m.gguf")));
  EXPECT_EQ(old_view->get_int("v"), 1);
  EXPECT_EQ(open_ok(dir.file("m.gguf"))->get_int("v"), 2);
}

}  // namespace
}  // namespace tachyon
