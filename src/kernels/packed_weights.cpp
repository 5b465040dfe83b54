#include "kernels/packed_weights.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/packed_kernels.h"
#include "kernels/quantize_activation.h"
#include "util/fp16.h"
#include "util/huge_pages.h"

namespace tachyon {

namespace {

// Interleaves the 32-bit words of the qs of kPackRows rows' block b (the layouts of
// packed_kernels.h): word k of row r goes to word k * kPackRows + r.
template <typename Block, typename Packed>
void pack_group(const uint8_t* rows, size_t row_bytes, int64_t n_blocks, Packed* out) {
  constexpr int kWords = sizeof(Block{}.qs) / 4;
  for (int64_t b = 0; b < n_blocks; ++b) {
    Packed& p = out[b];
    for (int r = 0; r < kPackRows; ++r) {
      const Block& src = reinterpret_cast<const Block*>(rows + static_cast<size_t>(r) * row_bytes)[b];
      p.d[r] = src.d;
      for (int k = 0; k < kWords; ++k) std::memcpy(p.qs + 4 * (k * kPackRows + r), src.qs + 4 * k, 4);
    }
  }
}

// TACHYON_PACKED=0 keeps every matrix row-major (for side-by-side benchmarks of the layouts).
bool packing_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("TACHYON_PACKED");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return enabled;
}

}  // namespace

bool packable(GgmlType type, int64_t n_rows) {
  return packing_enabled() && (type == GgmlType::Q8_0 || type == GgmlType::Q4_0) && n_rows > 0 && n_rows % kPackRows == 0;
}

size_t packed_group_bytes(GgmlType type, int64_t n_cols) {
  return ggml_row_size(type, n_cols) * static_cast<size_t>(kPackRows);
}

std::shared_ptr<const void> pack_rows(GgmlType type, const void* rows, int64_t n_rows, int64_t n_cols) {
  if (!packable(type, n_rows)) return nullptr;
  const size_t row_bytes = ggml_row_size(type, n_cols);
  const size_t group_bytes = packed_group_bytes(type, n_cols);
  std::shared_ptr<uint8_t> buffer = allocate_huge_pages(group_bytes * static_cast<size_t>(n_rows / kPackRows));
  if (!buffer) return nullptr;
  const uint8_t* src = static_cast<const uint8_t*>(rows);
  const int64_t n_blocks = n_cols / 32;
  for (int64_t g = 0; g < n_rows / kPackRows; ++g) {
    const uint8_t* group_rows = src + static_cast<size_t>(g) * group_bytes;
    uint8_t* dst = buffer.get() + static_cast<size_t>(g) * group_bytes;
    if (type == GgmlType::Q8_0) {
      pack_group<BlockQ8_0>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ8_0x8*>(dst));
    } else {
      pack_group<BlockQ4_0>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ4_0x8*>(dst));
    }
  }
  return buffer;
}

size_t packed_activation_row_bytes(int64_t n_cols) {
  return static_cast<size_t>(n_cols / 32) * sizeof(PackedActBlock);
}

void convert_packed_activation_row(const float* x, void* dst, int64_t n_cols) {
  thread_local std::vector<BlockQ8_0> q8;
  q8.resize(static_cast<size_t>(n_cols / 32));
  quantize_activation_q8_0(x, q8.data(), n_cols);
  PackedActBlock* out = static_cast<PackedActBlock*>(dst);
  for (size_t b = 0; b < q8.size(); ++b) {
    out[b].d = fp16_to_f32(q8[b].d);
    out[b].sum = 0;
    for (int i = 0; i < 32; ++i) {
      const int8_t q = q8[b].qs[i];
      out[b].qs[i] = q;
      out[b].abs[i] = static_cast<int8_t>(q < 0 ? -q : q);
      out[b].sum += q;
    }
  }
}

PackedDotFn resolve_packed_dot(Isa isa, GgmlType type) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa == Isa::Avx512) {
    if (PackedDotFn fn = packed_dot_kernel_avx512(type)) return fn;
  }
  if (isa == Isa::Avx512 || isa == Isa::Avx2) {
    if (PackedDotFn fn = packed_dot_kernel_avx2(type)) return fn;
  }
#endif
  return packed_dot_kernel_scalar(type);
}

}  // namespace tachyon
