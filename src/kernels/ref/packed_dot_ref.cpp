// Scalar twins of the packed kernels: the arithmetic packed_weights.h defines, one row and
// one token at a time. The SIMD kernels must match these bit for bit.
#include <cmath>

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
                float* out, size_t out_stride) {
  const Packed* x = static_cast<const Packed*>(group);
  const int64_t n_blocks = n_cols / 32;
  for (int t = 0; t < n_tokens; ++t) {
    const PackedActBlock* y =
        reinterpret_cast<const PackedActBlock*>(static_cast<const uint8_t*>(acts) + act_stride * static_cast<size_t>(t));
    for (int r = 0; r < kPackRows; ++r) {
      float acc = 0.0f;
      for (int64_t b = 0; b < n_blocks; ++b) {
        int sum = 0;
        for (int i = 0; i < 32; ++i) sum += Quant(x[b], r, i) * y[b].qs[i];
        acc = std::fma(static_cast<float>(sum), fp16_to_f32(x[b].d[r]) * y[b].d, acc);
      }
      out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] = acc;
    }
  }
}

}  // namespace

PackedDotFn packed_dot_kernel_scalar(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return packed_dot<PackedQ8_0x8, q8_0_quant>;
    case GgmlType::Q4_0: return packed_dot<PackedQ4_0x8, q4_0_quant>;
    default: return nullptr;
  }
}

}  // namespace tachyon
