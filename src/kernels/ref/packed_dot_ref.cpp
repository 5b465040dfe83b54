// Scalar twins of the packed kernels: the arithmetic packed_weights.h defines, one row and
// one token at a time. The SIMD kernels must match these bit for bit.
#include <cmath>
#include <type_traits>

#include "kernels/packed_kernels.h"
#include "util/fp16.h"

namespace tachyon {

namespace {

// Quant i (0..31) of row r in a packed block.
int q8_0_quant(const PackedQ8_0x8& p, int r, int i) { return p.qs[32 * (i / 4) + 4 * r + i % 4]; }

int q4_0_quant(const PackedQ4_0x8& p, int r, int i) {
  const int j = i % 16;
  const uint8_t byte = p.qs[32 * (j / 4) + 4 * r + j % 4];
  return (i < 16 ? byte & 0x0F : byte >> 4) - 8;
}

template <typename Packed, int (*Quant)(const Packed&, int, int)>
void packed_dot(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens,
                bool add, float* out, size_t out_stride) {
  const Packed* x = static_cast<const Packed*>(group);
  const int64_t n_blocks = n_cols / 32;
  for (int t = 0; t < n_tokens; ++t) {
    const PackedActBlock* y =
        reinterpret_cast<const PackedActBlock*>(static_cast<const uint8_t*>(acts) + act_stride * static_cast<size_t>(t));
    for (int r = 0; r < kPackRows; ++r) {
      float acc = add ? out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] : 0.0f;
      for (int64_t b = 0; b < n_blocks; ++b) {
        int sum = 0;
        for (int i = 0; i < 32; ++i) sum += Quant(x[b], r, i) * y[b].qs[i];
        acc = std::fma(static_cast<float>(sum), fp16_to_f32(x[b].d[r]) * y[b].d, acc);
      }
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = acc;
    }
  }
}

// Element e (0..255) of row r in a packed Q4_K super-block, in [0, 15], or Q5_K, in [0, 31].
template <typename Packed>
int k_quant_with_min(const Packed& p, int r, int e) {
  const int j = e / 64, l = e % 32;
  const uint8_t byte = p.qs[32 * (8 * j + l / 4) + 4 * r + l % 4];
  const int low = e % 64 < 32 ? byte & 0x0F : byte >> 4;
  if constexpr (std::is_same_v<Packed, PackedQ5_Kx8>) {
    const int fifth = p.qh[32 * (l / 4) + 4 * r + l % 4] >> (e / 32) & 1;
    return low | fifth << 4;
  }
  return low;
}

// Scale byte i (0..11) of row r, ggml's packed 6-bit scales and mins.
template <typename Packed>
uint8_t k_scale_byte(const Packed& p, int r, int i) { return p.scales[32 * (i / 4) + 4 * r + i % 4]; }

// The 6-bit scale and min of sub-block j (0..7) of row r.
template <typename Packed>
void k_scale_min(const Packed& p, int r, int j, int& scale, int& min) {
  if (j < 4) {
    scale = k_scale_byte(p, r, j) & 63;
    min = k_scale_byte(p, r, j + 4) & 63;
  } else {
    scale = (k_scale_byte(p, r, j + 4) & 0x0F) | ((k_scale_byte(p, r, j - 4) >> 6) << 4);
    min = (k_scale_byte(p, r, j + 4) >> 4) | ((k_scale_byte(p, r, j) >> 6) << 4);
  }
}

// Element e of row r in a packed Q6_K super-block, in [-32, 31].
int q6_k_quant(const PackedQ6_Kx8& p, int r, int e) {
  const int c = e / 32, h = (e % 32) / 16, k = (e % 16) / 4, i = e % 4;
  const int low = (p.ql[128 * c + 32 * k + 4 * r + i] >> (4 * h)) & 0x0F;
  const int high = (p.qh[64 * c + 32 * h + 4 * r + i] >> (2 * k)) & 0x03;
  return (low | high << 4) - 32;
}

template <typename Act>
const Act* activation_row(const void* acts, size_t act_stride, int t) {
  return reinterpret_cast<const Act*>(static_cast<const uint8_t*>(acts) + act_stride * static_cast<size_t>(t));
}

template <typename Packed>
void packed_dot_k_with_mins(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens,
                            bool add, float* out, size_t out_stride) {
  const Packed* x = static_cast<const Packed*>(group);
  for (int t = 0; t < n_tokens; ++t) {
    const PackedActSuperBlock* y = activation_row<PackedActSuperBlock>(acts, act_stride, t);
    for (int r = 0; r < kPackRows; ++r) {
      float acc = add ? out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] : 0.0f;
      for (int64_t b = 0; b < n_cols / 256; ++b) {
        int isum = 0, msum = 0;
        for (int j = 0; j < 8; ++j) {
          int scale = 0, min = 0, sum = 0;
          k_scale_min(x[b], r, j, scale, min);
          for (int l = 0; l < 32; ++l) sum += k_quant_with_min(x[b], r, 32 * j + l) * y[b].qs[32 * j + l];
          isum += scale * sum;
          msum += min * y[b].bsum32[j];
        }
        acc = std::fma(static_cast<float>(isum), fp16_to_f32(x[b].d[r]) * y[b].d, acc);
        acc = std::fma(static_cast<float>(msum), -(fp16_to_f32(x[b].dmin[r]) * y[b].d), acc);
      }
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = acc;
    }
  }
}

void packed_dot_q6_k(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens,
                     bool add, float* out, size_t out_stride) {
  const PackedQ6_Kx8* x = static_cast<const PackedQ6_Kx8*>(group);
  for (int t = 0; t < n_tokens; ++t) {
    const PackedActSuperBlock* y = activation_row<PackedActSuperBlock>(acts, act_stride, t);
    for (int r = 0; r < kPackRows; ++r) {
      float acc = add ? out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] : 0.0f;
      for (int64_t b = 0; b < n_cols / 256; ++b) {
        int isum = 0;
        for (int s = 0; s < 16; ++s) {
          int sum = 0;
          for (int l = 0; l < 16; ++l) sum += q6_k_quant(x[b], r, 16 * s + l) * y[b].qs[16 * s + l];
          isum += x[b].scales[32 * (s / 4) + 4 * r + s % 4] * sum;
        }
        acc = std::fma(static_cast<float>(isum), fp16_to_f32(x[b].d[r]) * y[b].d, acc);
      }
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = acc;
    }
  }
}

// F16 and BF16: four fused chains per row (column i mod 4), then (c0 + c1) + (c2 + c3).
template <float (*Widen)(uint16_t)>
void packed_dot_halves(int64_t n_cols, const void* group, const void* acts, size_t act_stride, int n_tokens,
                       bool /*add: one tile*/, float* out, size_t out_stride) {
  const PackedHalfx8* x = static_cast<const PackedHalfx8*>(group);
  for (int t = 0; t < n_tokens; ++t) {
    const float* y = activation_row<float>(acts, act_stride, t);
    for (int r = 0; r < kPackRows; ++r) {
      float c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int64_t q = 0; q < n_cols / 4; ++q) {
        for (int i = 0; i < 4; ++i) c[i] = std::fma(Widen(x[q].v[4 * r + i]), y[4 * q + i], c[i]);
      }
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = (c[0] + c[1]) + (c[2] + c[3]);
    }
  }
}

}  // namespace

PackedDotFn packed_dot_kernel_scalar(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return packed_dot<PackedQ8_0x8, q8_0_quant>;
    case GgmlType::Q4_0: return packed_dot<PackedQ4_0x8, q4_0_quant>;
    case GgmlType::Q4_K: return packed_dot_k_with_mins<PackedQ4_Kx8>;
    case GgmlType::Q5_K: return packed_dot_k_with_mins<PackedQ5_Kx8>;
    case GgmlType::Q6_K: return packed_dot_q6_k;
    case GgmlType::F16: return packed_dot_halves<fp16_to_f32>;
    case GgmlType::BF16: return packed_dot_halves<bf16_to_f32>;
    default: return nullptr;
  }
}

}  // namespace tachyon
