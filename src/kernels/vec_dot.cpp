#include "kernels/vec_dot.h"

#include <cstring>

#include "gguf/quantize.h"
#include "kernels/quantize_activation.h"
#include "kernels/vec_dot_kernels.h"
#include "util/fp16.h"

namespace tachyon {

GgmlType vec_dot_type(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::Q8_0: return GgmlType::Q8_0;
    case GgmlType::Q4_1:
    case GgmlType::Q5_1: return GgmlType::Q8_1;
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: return GgmlType::Q8_K;
    default: return weight_type;
  }
}

bool supports_weight_type(GgmlType weight_type) {
  return vec_dot_kernel_scalar(weight_type) != nullptr;
}

size_t activation_row_bytes(GgmlType weight_type, int64_t n) {
  return ggml_row_size(vec_dot_type(weight_type), n);
}

void convert_activation_row(GgmlType weight_type, const float* x, void* dst, int64_t n) {
  switch (vec_dot_type(weight_type)) {
    case GgmlType::F32: std::memcpy(dst, x, static_cast<size_t>(n) * sizeof(float)); return;
    case GgmlType::F16: {
      uint16_t* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_fp16(x[i]);
      return;
    }
    case GgmlType::BF16: {
      uint16_t* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(x[i]);
      return;
    }
    case GgmlType::Q8_0: quantize_activation_q8_0(x, static_cast<BlockQ8_0*>(dst), n); return;
    case GgmlType::Q8_1: quantize_row_q8_1(x, static_cast<BlockQ8_1*>(dst), n); return;
    case GgmlType::Q8_K: quantize_activation_q8_K(x, static_cast<BlockQ8_K*>(dst), n); return;
    default: return;
  }
}

VecDotFn resolve_vec_dot(Isa isa, GgmlType weight_type) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa == Isa::Avx512) {
    if (VecDotFn fn = vec_dot_kernel_avx512(weight_type)) return fn;
    isa = Isa::Avx2;
  }
  if (isa == Isa::Avx2) {
    if (VecDotFn fn = vec_dot_kernel_avx2(weight_type)) return fn;
  }
#endif
  return vec_dot_kernel_scalar(weight_type);
}

VecDotColumnsFn resolve_vec_dot_columns(Isa isa, GgmlType weight_type) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  // Only the level that supplies the single-row kernel may supply its multi-column twin:
  // results must match that kernel bit for bit.
  if (isa == Isa::Avx512) {
    if (vec_dot_kernel_avx512(weight_type) != nullptr) return nullptr;
    isa = Isa::Avx2;
  }
  if (isa == Isa::Avx2 && vec_dot_kernel_avx2(weight_type) != nullptr) {
    return vec_dot_columns_kernel_avx2(weight_type);
  }
#endif
  return vec_dot_columns_kernel_scalar(weight_type);
}

float vec_dot_isa(Isa isa, GgmlType weight_type, int64_t n, const void* weight_row,
                  const void* activation_row) {
  return resolve_vec_dot(isa, weight_type)(n, weight_row, activation_row);
}

float vec_dot(GgmlType weight_type, int64_t n, const void* weight_row, const void* activation_row) {
  return resolve_vec_dot(active_isa(), weight_type)(n, weight_row, activation_row);
}

}  // namespace tachyon
