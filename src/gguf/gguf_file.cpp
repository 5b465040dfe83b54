#include "gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace tachyon {
namespace {

constexpr int kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;

// Bounds-checked little-endian cursor over the mapping; every read reports truncation.
class Cursor {
 public:
  Cursor(const uint8_t* base, size_t size) : base_(base), size_(size) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename T>
  bool read(T& out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(&out, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  bool read_string(std::string& out) {
    uint64_t len;
    if (!read(len) || len > remaining()) return false;
    out.assign(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return true;
  }

 private:
  const uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
};

size_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL:
      return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
      return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32:
      return 4;
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64:
      return 8;
    default:
      return 0;
  }
}

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::FLOAT64); }

template <typename T>
bool read_scalar(Cursor& c, T& out) {
  return c.read(out);
}

Status read_value(Cursor& c, GgufValueType type, GgufValue& v, const std::string& key, int depth) {
  v.type = type;
  auto truncated = [&] { return make_error("truncated file while reading metadata value of '{}'", key); };
  switch (type) {
    case GgufValueType::UINT8: { uint8_t x; if (!c.read(x)) return truncated(); v.u = x; break; }
    case GgufValueType::INT8: { int8_t x; if (!c.read(x)) return truncated(); v.i = x; break; }
    case GgufValueType::UINT16: { uint16_t x; if (!c.read(x)) return truncated(); v.u = x; break; }
    case GgufValueType::INT16: { int16_t x; if (!c.read(x)) return truncated(); v.i = x; break; }
    case GgufValueType::UINT32: { uint32_t x; if (!c.read(x)) return truncated(); v.u = x; break; }
    case GgufValueType::INT32: { int32_t x; if (!c.read(x)) return truncated(); v.i = x; break; }
    case GgufValueType::UINT64: { uint64_t x; if (!c.read(x)) return truncated(); v.u = x; break; }
    case GgufValueType::INT64: { int64_t x; if (!c.read(x)) return truncated(); v.i = x; break; }
    case GgufValueType::FLOAT32: { float x; if (!c.read(x)) return truncated(); v.f = x; break; }
    case GgufValueType::FLOAT64: { double x; if (!c.read(x)) return truncated(); v.f = x; break; }
    case GgufValueType::BOOL: {
      uint8_t x;
      if (!c.read(x)) return truncated();
      v.u = x != 0;
      break;
    }
    case GgufValueType::STRING:
      if (!c.read_string(v.s)) return truncated();
      break;
    case GgufValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) return make_error("metadata '{}': arrays nested too deeply", key);
      uint32_t elem_type;
      uint64_t count;
      if (!c.read(elem_type) || !c.read(count)) return truncated();
      if (!valid_value_type(elem_type))
        return make_error("metadata '{}': unknown array element type {}", key, elem_type);
      v.array_type = static_cast<GgufValueType>(elem_type);
      // Each element takes at least one byte (strings at least 8): reject absurd counts early.
      const size_t min_size = std::max<size_t>(1, scalar_size(v.array_type));
      if (count > c.remaining() / min_size) return truncated();
      v.array.resize(count);
      for (auto& e : v.array) {
        Status s = read_value(c, v.array_type, e, key, depth + 1);
        if (!s) return s;
      }
      break;
    }
  }
  return Status::success();
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::UINT8: return "u8";
    case GgufValueType::INT8: return "i8";
    case GgufValueType::UINT16: return "u16";
    case GgufValueType::INT16: return "i16";
    case GgufValueType::UINT32: return "u32";
    case GgufValueType::INT32: return "i32";
    case GgufValueType::FLOAT32: return "f32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "str";
    case GgufValueType::ARRAY: return "arr";
    case GgufValueType::UINT64: return "u64";
    case GgufValueType::INT64: return "i64";
    case GgufValueType::FLOAT64: return "f64";
  }
  return "?";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::UINT64: case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

bool GgufValue::is_float() const {
  return type == GgufValueType::FLOAT32 || type == GgufValueType::FLOAT64;
}

std::optional<int64_t> GgufValue::as_int() const {
  switch (type) {
    case GgufValueType::INT8: case GgufValueType::INT16: case GgufValueType::INT32:
    case GgufValueType::INT64:
      return i;
    case GgufValueType::UINT8: case GgufValueType::UINT16: case GgufValueType::UINT32:
    case GgufValueType::UINT64: case GgufValueType::BOOL:
      return static_cast<int64_t>(u);
    default:
      return std::nullopt;
  }
}

std::optional<double> GgufValue::as_double() const {
  if (is_float()) return f;
  if (is_integer()) return static_cast<double>(*as_int());
  return std::nullopt;
}

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

void GgufFile::prefault(const GgufTensorInfo& t) const {
  constexpr uintptr_t kPage = 4096;
  const uintptr_t first = reinterpret_cast<uintptr_t>(t.data) / kPage * kPage;
  const uintptr_t last = reinterpret_cast<uintptr_t>(t.data) + t.n_bytes;
#if defined(MADV_POPULATE_READ)
  if (madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_READ) == 0) return;
#endif
  // Kernels before 5.14: read a byte of every page.
  uint8_t sum = 0;
  for (uintptr_t page = first; page < last; page += kPage) sum ^= *reinterpret_cast<const volatile uint8_t*>(page);
  (void)sum;
}

GgufFile::~GgufFile() {
  if (base_) munmap(const_cast<uint8_t*>(base_), size_);
}

Result<std::shared_ptr<const GgufFile>> GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error("{}: not a regular file", path);
  }
  std::shared_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ == 0) {
    ::close(fd);
    return make_error("{}: empty file, not a GGUF model", path);
  }
  void* map = mmap(nullptr, file->size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return make_error("{}: mmap failed: {}", path, std::strerror(errno));
  file->base_ = static_cast<const uint8_t*>(map);

  Cursor c(file->base_, file->size_);
  uint32_t magic = 0;
  if (!c.read(magic) || magic != kGgufMagic)
    return make_error("{}: wrong magic, not a GGUF file", path);
  if (!c.read(file->version_)) return make_error("{}: truncated file (no version)", path);
  if (file->version_ < 2 || file->version_ > 3)
    return make_error("{}: unsupported GGUF version {} (supported: 2, 3)", path, file->version_);
  uint64_t n_tensors = 0, n_kv = 0;
  if (!c.read(n_tensors) || !c.read(n_kv)) return make_error("{}: truncated file (header)", path);
  if (n_kv > c.remaining() / 12 || n_tensors > c.remaining() / 24)
    return make_error("{}: truncated file (header claims {} metadata keys and {} tensors)", path,
                      n_kv, n_tensors);

  file->kv_.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    GgufKeyValue kv;
    uint32_t type;
    if (!c.read_string(kv.key) || !c.read(type))
      return make_error("{}: truncated file in metadata key {}", path, k);
    if (!valid_value_type(type))
      return make_error("{}: metadata '{}' has unknown value type {}", path, kv.key, type);
    Status s = read_value(c, static_cast<GgufValueType>(type), kv.value, kv.key, 0);
    if (!s) return make_error("{}: {}", path, s.error().message);
    if (file->kv_index_.count(kv.key)) return make_error("{}: duplicate metadata key '{}'", path, kv.key);
    file->kv_index_.emplace(kv.key, file->kv_.size());
    file->kv_.push_back(std::move(kv));
  }
  if (const GgufValue* a = file->find("general.alignment")) {
    const auto v = a->as_int();
    if (!v || *v <= 0 || (*v & (*v - 1)) != 0)
      return make_error("{}: general.alignment must be a power of two", path);
    file->alignment_ = static_cast<uint64_t>(*v);
  }

  file->tensors_.reserve(n_tensors);
  for (uint64_t t = 0; t < n_tensors; ++t) {
    GgufTensorInfo info;
    uint32_t n_dims = 0, type = 0;
    if (!c.read_string(info.name) || !c.read(n_dims))
      return make_error("{}: truncated file in tensor table (tensor {})", path, t);
    if (n_dims == 0 || n_dims > kMaxDims)
      return make_error("{}: tensor '{}' has {} dimensions (1..{} allowed)", path, info.name, n_dims,
                        kMaxDims);
    info.ne.resize(n_dims);
    // The element count is bounded as it is multiplied up, so a hostile header cannot overflow it.
    constexpr int64_t kMaxElements = int64_t(1) << 40;
    int64_t n = 1;
    for (auto& d : info.ne) {
      uint64_t x;
      if (!c.read(x)) return make_error("{}: truncated file in tensor '{}'", path, info.name);
      if (x == 0 || x > uint64_t(kMaxElements))
        return make_error("{}: tensor '{}' has invalid dimension {}", path, info.name, x);
      d = static_cast<int64_t>(x);
      if (n > kMaxElements / d) return make_error("{}: tensor '{}' is too large", path, info.name);
      n *= d;
    }
    if (!c.read(type) || !c.read(info.offset))
      return make_error("{}: truncated file in tensor '{}'", path, info.name);
    const auto traits = ggml_type_traits(type);
    if (!traits) return make_error("{}: tensor '{}' has unknown tensor type {}", path, info.name, type);
    info.type = traits->type;
    if (info.ne[0] % traits->block_size != 0)
      return make_error("{}: tensor '{}' row length {} is not a multiple of the {} block size {}",
                        path, info.name, info.ne[0], traits->name, traits->block_size);
    info.n_bytes = static_cast<size_t>(n / traits->block_size) * traits->type_size;
    if (file->tensor_index_.count(info.name))
      return make_error("{}: duplicate tensor name '{}'", path, info.name);
    file->tensor_index_.emplace(info.name, file->tensors_.size());
    file->tensors_.push_back(std::move(info));
  }

  const uint64_t data_start = (c.pos() + file->alignment_ - 1) / file->alignment_ * file->alignment_;
  for (auto& info : file->tensors_) {
    if (info.offset % file->alignment_ != 0)
      return make_error("{}: tensor '{}' data offset {} is not aligned to {}", path, info.name,
                        info.offset, file->alignment_);
    if (data_start > file->size_ || info.offset > file->size_ - data_start ||
        info.n_bytes > file->size_ - data_start - info.offset)
      return make_error("{}: tensor '{}' data is out of bounds (offset {} + {} bytes, file is {} bytes; "
                        "truncated file?)", path, info.name, data_start + info.offset, info.n_bytes,
                        file->size_);
    info.data = file->base_ + data_start + info.offset;
  }
  return std::shared_ptr<const GgufFile>(std::move(file));
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufValue* v = find(key);
  return v ? v->as_int() : std::nullopt;
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  return v ? v->as_double() : std::nullopt;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || (v->type != GgufValueType::BOOL && !v->is_integer())) return std::nullopt;
  return *v->as_int() != 0;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufValueType::STRING) return std::nullopt;
  return v->s;
}

std::optional<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufValueType::ARRAY || v->array_type != GgufValueType::STRING) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) out.push_back(e.s);
  return out;
}

std::optional<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufValueType::ARRAY) return std::nullopt;
  std::vector<float> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) {
    const auto d = e.as_double();
    if (!d) return std::nullopt;
    out.push_back(static_cast<float>(*d));
  }
  return out;
}

std::optional<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v || v->type != GgufValueType::ARRAY) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) {
    const auto d = e.as_int();
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

const GgufTensorInfo* GgufFile::tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace tachyon
