#include "gguf/gguf_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tachyon {
namespace {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;

// Little-endian byte sink for the header (the host is little-endian, as GGUF files are).
class ByteBuffer {
 public:
  template <typename T>
  void put(T v) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &v, sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void pad_to(uint64_t alignment) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, 0);
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

void put_value(ByteBuffer& out, GgufValueType type, const GgufValue& v) {
  switch (type) {
    case GgufValueType::UINT8: out.put(static_cast<uint8_t>(v.u)); break;
    case GgufValueType::INT8: out.put(static_cast<int8_t>(v.i)); break;
    case GgufValueType::UINT16: out.put(static_cast<uint16_t>(v.u)); break;
    case GgufValueType::INT16: out.put(static_cast<int16_t>(v.i)); break;
    case GgufValueType::UINT32: out.put(static_cast<uint32_t>(v.u)); break;
    case GgufValueType::INT32: out.put(static_cast<int32_t>(v.i)); break;
    case GgufValueType::UINT64: out.put(static_cast<uint64_t>(v.u)); break;
    case GgufValueType::INT64: out.put(static_cast<int64_t>(v.i)); break;
    case GgufValueType::FLOAT32: out.put(static_cast<float>(v.f)); break;
    case GgufValueType::FLOAT64: out.put(v.f); break;
    case GgufValueType::BOOL: out.put(static_cast<uint8_t>(v.u != 0)); break;
    case GgufValueType::STRING: out.put_string(v.s); break;
    case GgufValueType::ARRAY:
      out.put(static_cast<uint32_t>(v.array_type));
      out.put<uint64_t>(v.array.size());
      for (const auto& e : v.array) put_value(out, v.array_type, e);
      break;
  }
}

GgufValue scalar(GgufValueType type) {
  GgufValue v;
  v.type = type;
  return v;
}

template <typename T, typename Fill>
GgufValue array_of(GgufValueType elem_type, const std::vector<T>& items, Fill fill) {
  GgufValue v = scalar(GgufValueType::ARRAY);
  v.array_type = elem_type;
  v.array.reserve(items.size());
  for (const auto& item : items) {
    GgufValue e = scalar(elem_type);
    fill(e, item);
    v.array.push_back(std::move(e));
  }
  return v;
}

Status write_all(std::FILE* f, const void* data, size_t n, const std::string& path) {
  if (n != 0 && std::fwrite(data, 1, n, f) != n)
    return make_error("{}: write failed: {}", path, std::strerror(errno));
  return Status::success();
}

Status write_zeros(std::FILE* f, size_t n, const std::string& path) {
  static constexpr uint8_t kZeros[256] = {};
  while (n > 0) {
    const size_t chunk = std::min(n, sizeof(kZeros));
    Status s = write_all(f, kZeros, chunk, path);
    if (!s) return s;
    n -= chunk;
  }
  return Status::success();
}

}  // namespace

void GgufWriter::set(std::string_view key, GgufValue v) {
  for (auto& kv : kv_) {
    if (kv.key == key) {
      kv.value = std::move(v);
      return;
    }
  }
  kv_.push_back(GgufKeyValue{std::string(key), std::move(v)});
}

void GgufWriter::set_u8(std::string_view key, uint8_t v) { auto x = scalar(GgufValueType::UINT8); x.u = v; set(key, x); }
void GgufWriter::set_i8(std::string_view key, int8_t v) { auto x = scalar(GgufValueType::INT8); x.i = v; set(key, x); }
void GgufWriter::set_u16(std::string_view key, uint16_t v) { auto x = scalar(GgufValueType::UINT16); x.u = v; set(key, x); }
void GgufWriter::set_i16(std::string_view key, int16_t v) { auto x = scalar(GgufValueType::INT16); x.i = v; set(key, x); }
void GgufWriter::set_u32(std::string_view key, uint32_t v) { auto x = scalar(GgufValueType::UINT32); x.u = v; set(key, x); }
void GgufWriter::set_i32(std::string_view key, int32_t v) { auto x = scalar(GgufValueType::INT32); x.i = v; set(key, x); }
void GgufWriter::set_u64(std::string_view key, uint64_t v) { auto x = scalar(GgufValueType::UINT64); x.u = v; set(key, x); }
void GgufWriter::set_i64(std::string_view key, int64_t v) { auto x = scalar(GgufValueType::INT64); x.i = v; set(key, x); }
void GgufWriter::set_f32(std::string_view key, float v) { auto x = scalar(GgufValueType::FLOAT32); x.f = v; set(key, x); }
void GgufWriter::set_f64(std::string_view key, double v) { auto x = scalar(GgufValueType::FLOAT64); x.f = v; set(key, x); }
void GgufWriter::set_bool(std::string_view key, bool v) { auto x = scalar(GgufValueType::BOOL); x.u = v; set(key, x); }

void GgufWriter::set_string(std::string_view key, std::string_view v) {
  auto x = scalar(GgufValueType::STRING);
  x.s = std::string(v);
  set(key, std::move(x));
}

void GgufWriter::set_string_array(std::string_view key, const std::vector<std::string>& v) {
  set(key, array_of(GgufValueType::STRING, v, [](GgufValue& e, const std::string& s) { e.s = s; }));
}

void GgufWriter::set_f32_array(std::string_view key, const std::vector<float>& v) {
  set(key, array_of(GgufValueType::FLOAT32, v, [](GgufValue& e, float f) { e.f = f; }));
}

void GgufWriter::set_i32_array(std::string_view key, const std::vector<int32_t>& v) {
  set(key, array_of(GgufValueType::INT32, v, [](GgufValue& e, int32_t i) { e.i = i; }));
}

void GgufWriter::set_value(std::string_view key, const GgufValue& v) { set(key, v); }

void GgufWriter::remove(std::string_view key) {
  std::erase_if(kv_, [&](const GgufKeyValue& kv) { return kv.key == key; });
}

Status GgufWriter::add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> ne, const void* data,
                              size_t n_bytes) {
  for (const auto& t : tensors_)
    if (t.name == name) return make_error("duplicate tensor name '{}'", name);
  if (ne.empty() || ne.size() > 4)
    return make_error("tensor '{}' has {} dimensions (1..4 allowed)", name, ne.size());
  int64_t n = 1;
  for (int64_t d : ne) {
    if (d <= 0) return make_error("tensor '{}' has invalid dimension {}", name, d);
    n *= d;
  }
  const auto& traits = ggml_traits(type);
  if (ne[0] % traits.block_size != 0)
    return make_error("tensor '{}' row length {} is not a multiple of the {} block size {}", name, ne[0],
                      traits.name, traits.block_size);
  const size_t expected = ggml_row_size(type, n);
  if (n_bytes != expected)
    return make_error("tensor '{}' has {} bytes of data, {} needs {}", name, n_bytes, traits.name, expected);
  tensors_.push_back(Tensor{std::string(name), type, std::move(ne), data, n_bytes});
  return Status::success();
}

Result<uint64_t> GgufWriter::alignment() const {
  for (const auto& kv : kv_) {
    if (kv.key != "general.alignment") continue;
    const auto a = kv.value.as_int();
    if (!a || *a <= 0 || (*a & (*a - 1)) != 0)
      return make_error("general.alignment must be a positive power of two");
    return static_cast<uint64_t>(*a);
  }
  return kDefaultAlignment;
}

Status GgufWriter::write(const std::string& path) const {
  const auto align = alignment();
  if (!align) return make_error("{}: {}", path, align.error().message);
  const uint64_t alignment = *align;

  ByteBuffer header;
  header.put(kGgufMagic);
  header.put(kVersion);
  header.put<uint64_t>(tensors_.size());
  header.put<uint64_t>(kv_.size());
  for (const auto& kv : kv_) {
    header.put_string(kv.key);
    header.put(static_cast<uint32_t>(kv.value.type));
    put_value(header, kv.value.type, kv.value);
  }
  // Offsets are relative to the data section, each tensor starting on an aligned boundary.
  std::vector<uint64_t> offsets;
  uint64_t data_size = 0;
  for (const auto& t : tensors_) {
    offsets.push_back(data_size);
    data_size = (data_size + t.n_bytes + alignment - 1) / alignment * alignment;
    header.put_string(t.name);
    header.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) header.put<uint64_t>(static_cast<uint64_t>(d));
    header.put(static_cast<uint32_t>(t.type));
    header.put<uint64_t>(offsets.back());
  }
  header.pad_to(alignment);

  const std::string tmp_path = path + ".tmp";
  std::FILE* f = std::fopen(tmp_path.c_str(), "wb");
  if (!f) return make_error("{}: cannot create: {}", tmp_path, std::strerror(errno));
  auto fail = [&](Status s) {
    std::fclose(f);
    std::remove(tmp_path.c_str());
    return s;
  };
  Status s = write_all(f, header.bytes().data(), header.bytes().size(), tmp_path);
  if (!s) return fail(s);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const auto& t = tensors_[i];
    s = write_all(f, t.data, t.n_bytes, tmp_path);
    if (!s) return fail(s);
    const uint64_t end = i + 1 < tensors_.size() ? offsets[i + 1] : data_size;
    s = write_zeros(f, end - offsets[i] - t.n_bytes, tmp_path);
    if (!s) return fail(s);
  }
  // Flushed to disk before the rename, so the name never points at a file still in flight.
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)
    return fail(make_error("{}: write failed: {}", tmp_path, std::strerror(errno)));
  if (std::fclose(f) != 0) {
    std::remove(tmp_path.c_str());
    return make_error("{}: close failed: {}", tmp_path, std::strerror(errno));
  }
  if (std::rename(tmp_path.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp_path.c_str());
    return make_error("{}: cannot rename {} to it: {}", path, tmp_path, std::strerror(err));
  }
  return Status::success();
}

}  // namespace tachyon
