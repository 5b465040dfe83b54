#include "kernels/packed_weights.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include "kernels/packed_kernels.h"
#include "kernels/quantize_activation.h"
#include "gguf/quantize.h"
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

// Interleaves the scale words, fifth-bit words (Q5_K) and quant words of kPackRows Q4_K or Q5_K
// rows' super-block b.
template <typename Block, typename Packed>
void pack_k_with_mins(const uint8_t* rows, size_t row_bytes, int64_t n_blocks, Packed* out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    Packed& p = out[b];
    for (int r = 0; r < kPackRows; ++r) {
      const Block& src = reinterpret_cast<const Block*>(rows + static_cast<size_t>(r) * row_bytes)[b];
      p.d[r] = src.d;
      p.dmin[r] = src.dmin;
      for (int w = 0; w < 3; ++w) std::memcpy(p.scales + 4 * (w * kPackRows + r), src.scales + 4 * w, 4);
      for (int k = 0; k < 32; ++k) std::memcpy(p.qs + 4 * (k * kPackRows + r), src.qs + 4 * k, 4);
      if constexpr (std::is_same_v<Block, BlockQ5_K>) {
        for (int k = 0; k < 8; ++k) std::memcpy(p.qh + 4 * (k * kPackRows + r), src.qh + 4 * k, 4);
      }
    }
  }
}

// The 256 6-bit values (quant + 32) of a Q6_K block, in element order. ggml's layout: each
// half of 128 elements takes 64 ql bytes and 32 qh bytes; element 32g + l of a half (g = 0..3)
// has its low bits in ql[l + 32 (g % 2)] (nibble g / 2) and its high bits at bit 2g of qh[l].
void unpack_q6_k(const BlockQ6_K& block, uint8_t* v) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = block.ql + 64 * half;
    const uint8_t* qh = block.qh + 32 * half;
    uint8_t* out = v + 128 * half;
    for (int l = 0; l < 32; ++l) {
      out[l] = static_cast<uint8_t>((ql[l] & 0x0F) | (qh[l] & 0x03) << 4);
      out[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0x0F) | (qh[l] >> 2 & 0x03) << 4);
      out[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (qh[l] >> 4 & 0x03) << 4);
      out[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (qh[l] >> 6 & 0x03) << 4);
    }
  }
}

// Regroups kPackRows Q6_K rows' super-block b into the PackedQ6_Kx8 layout.
void pack_q6_k(const uint8_t* rows, size_t row_bytes, int64_t n_blocks, PackedQ6_Kx8* out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    PackedQ6_Kx8& p = out[b];
    for (int r = 0; r < kPackRows; ++r) {
      const BlockQ6_K& src = reinterpret_cast<const BlockQ6_K*>(rows + static_cast<size_t>(r) * row_bytes)[b];
      p.d[r] = src.d;
      for (int w = 0; w < 4; ++w) std::memcpy(p.scales + 4 * (w * kPackRows + r), src.scales + 4 * w, 4);
      uint8_t v[256];
      unpack_q6_k(src, v);
      for (int c = 0; c < 8; ++c) {
        for (int k = 0; k < 4; ++k) {
          for (int i = 0; i < 4; ++i) {
            const int e = 32 * c + 4 * k + i;  // the element of half 0; e + 16 is its half-1 twin
            p.ql[128 * c + 32 * k + 4 * r + i] = static_cast<uint8_t>((v[e] & 0x0F) | (v[e + 16] & 0x0F) << 4);
          }
        }
        for (int h = 0; h < 2; ++h) {
          for (int i = 0; i < 4; ++i) {
            uint8_t high = 0;
            for (int k = 0; k < 4; ++k) high |= static_cast<uint8_t>((v[32 * c + 16 * h + 4 * k + i] >> 4) << (2 * k));
            p.qh[64 * c + 32 * h + 4 * r + i] = high;
          }
        }
      }
    }
  }
}

// Interleaves kPackRows F16 or BF16 rows quad by quad: the row's 64-bit words, row after row.
void pack_halves(const uint8_t* rows, size_t row_bytes, int64_t n_quads, PackedHalfx8* out) {
  for (int64_t q = 0; q < n_quads; ++q) {
    for (int r = 0; r < kPackRows; ++r) {
      std::memcpy(out[q].v + 4 * r, rows + static_cast<size_t>(r) * row_bytes + static_cast<size_t>(q) * 8, 8);
    }
  }
}

bool half_type(GgmlType type) { return type == GgmlType::F16 || type == GgmlType::BF16; }

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
  const bool packed_type = type == GgmlType::Q8_0 || type == GgmlType::Q4_0 || type == GgmlType::Q4_K ||
                           type == GgmlType::Q5_K || type == GgmlType::Q6_K || half_type(type);
  return packing_enabled() && packed_type && n_rows > 0 && n_rows % kPackRows == 0;
}

PackedLayout packed_layout(GgmlType type, int64_t n_rows, int64_t n_cols) {
  const GgmlTypeTraits& traits = ggml_traits(type);
  const int64_t blocks = std::max<int64_t>(1, int64_t(kPackedTileBytes / (kPackRows * traits.type_size)));
  const bool tiled = packed_activation_format(type) == PackedActFormat::Blocks32;
  return {type, n_rows, n_cols, tiled ? std::min(n_cols, blocks * traits.block_size) : n_cols, traits.block_size,
          traits.type_size};
}

std::shared_ptr<const void> pack_rows(GgmlType type, const void* rows, int64_t n_rows, int64_t n_cols) {
  if (!packable(type, n_rows) || (half_type(type) && n_cols % PackedHalfx8::kElems != 0)) return nullptr;
  const size_t row_bytes = ggml_row_size(type, n_cols);
  std::shared_ptr<uint8_t> owner = allocate_huge_pages(row_bytes * static_cast<size_t>(n_rows));
  if (!owner) return nullptr;
  uint8_t* const buffer = owner.get();
  const uint8_t* src = static_cast<const uint8_t*>(rows);
  const PackedLayout layout = packed_layout(type, n_rows, n_cols);
  auto pack_groups = [&](int64_t first, int64_t last) {
    for (int64_t first_col = 0; first_col < n_cols; first_col += layout.tile_cols) {
      const int64_t cols = layout.tile_width(first_col);
      const int64_t n_blocks = cols / layout.block_size;
      const size_t col_offset = layout.group_bytes(first_col) / kPackRows;
      for (int64_t g = first; g < last; ++g) {
        const uint8_t* group_rows = src + static_cast<size_t>(g * kPackRows) * row_bytes + col_offset;
        uint8_t* dst = buffer + layout.group_offset(g, first_col);
        switch (type) {
          case GgmlType::Q8_0:
            pack_group<BlockQ8_0>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ8_0x8*>(dst));
            break;
          case GgmlType::Q4_0:
            pack_group<BlockQ4_0>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ4_0x8*>(dst));
            break;
          case GgmlType::Q4_K:
            pack_k_with_mins<BlockQ4_K>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ4_Kx8*>(dst));
            break;
          case GgmlType::Q5_K:
            pack_k_with_mins<BlockQ5_K>(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ5_Kx8*>(dst));
            break;
          case GgmlType::Q6_K:
            pack_q6_k(group_rows, row_bytes, n_blocks, reinterpret_cast<PackedQ6_Kx8*>(dst));
            break;
          default:
            pack_halves(group_rows, row_bytes, cols / PackedHalfx8::kElems, reinterpret_cast<PackedHalfx8*>(dst));
            break;
        }
      }
    }
  };
  // Large matrices are packed by every core (model load time), each thread a range of groups.
  const int64_t n_groups = n_rows / kPackRows;
  constexpr size_t kBytesPerThread = size_t{1} << 20;
  const size_t total_bytes = row_bytes * static_cast<size_t>(n_rows);
  const int64_t n_threads = std::clamp<int64_t>(static_cast<int64_t>(total_bytes / kBytesPerThread), 1,
                                                std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> helpers;
  for (int64_t i = 1; i < n_threads; ++i) {
    helpers.emplace_back(pack_groups, n_groups * i / n_threads, n_groups * (i + 1) / n_threads);
  }
  pack_groups(0, n_groups / n_threads);
  for (std::thread& t : helpers) t.join();
  return owner;
}

int packed_tokens(GgmlType type) { return half_type(type) ? kPackedTokensMax : kPackedTokens; }

PackedActFormat packed_activation_format(GgmlType type) {
  if (type == GgmlType::F16) return PackedActFormat::F16Values;
  if (type == GgmlType::BF16) return PackedActFormat::BF16Values;
  const bool k_quant = type == GgmlType::Q4_K || type == GgmlType::Q5_K || type == GgmlType::Q6_K;
  return k_quant ? PackedActFormat::SuperBlocks256 : PackedActFormat::Blocks32;
}

size_t packed_activation_row_bytes(PackedActFormat format, int64_t n_cols) {
  switch (format) {
    case PackedActFormat::SuperBlocks256: return static_cast<size_t>(n_cols / 256) * sizeof(PackedActSuperBlock);
    case PackedActFormat::Blocks32: return static_cast<size_t>(n_cols / 32) * sizeof(PackedActBlock);
    case PackedActFormat::F16Values:
    case PackedActFormat::BF16Values: return static_cast<size_t>(n_cols) * sizeof(float);
  }
  return 0;
}

namespace {

void convert_blocks32(const float* x, PackedActBlock* out, int64_t n_cols) {
  thread_local std::vector<BlockQ8_0> q8;
  q8.resize(static_cast<size_t>(n_cols / 32));
  quantize_activation_q8_0(x, q8.data(), n_cols);
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

void convert_superblocks256(const float* x, PackedActSuperBlock* out, int64_t n_cols) {
  thread_local std::vector<BlockQ8_K> q8;
  q8.resize(static_cast<size_t>(n_cols / 256));
  quantize_activation_q8_K(x, q8.data(), n_cols);
  for (size_t b = 0; b < q8.size(); ++b) {
    out[b].d = q8[b].d;
    std::memcpy(out[b].qs, q8[b].qs, sizeof out[b].qs);
    for (int s = 0; s < 16; ++s) out[b].bsum16[s] = q8[b].bsums[s];
    for (int j = 0; j < 8; ++j) out[b].bsum32[j] = static_cast<int16_t>(q8[b].bsums[2 * j] + q8[b].bsums[2 * j + 1]);
  }
}

}  // namespace

void convert_packed_activation_row(PackedActFormat format, const float* x, void* dst, int64_t n_cols) {
  switch (format) {
    case PackedActFormat::SuperBlocks256:
      return convert_superblocks256(x, static_cast<PackedActSuperBlock*>(dst), n_cols);
    case PackedActFormat::Blocks32: return convert_blocks32(x, static_cast<PackedActBlock*>(dst), n_cols);
    case PackedActFormat::F16Values: return round_through_f16(x, static_cast<float*>(dst), n_cols);
    case PackedActFormat::BF16Values: return round_through_bf16(x, static_cast<float*>(dst), n_cols);
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

PackedDotFn resolve_packed_dot_pair(Isa isa, GgmlType type) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa == Isa::Avx512) return packed_dot_pair_kernel_avx512(type);
#endif
  return nullptr;
}

}  // namespace tachyon
