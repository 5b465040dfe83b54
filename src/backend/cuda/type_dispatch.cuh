#pragma once
// Calls f(std::integral_constant<GgmlType, T>{}) for the runtime weight type, for every type the
// kernels dequantize; cudaErrorInvalidValue for any other.
#include <type_traits>

#include "gguf/ggml_type.h"

namespace tachyon::cuda {

template <typename F>
cudaError_t with_weight_type(uint32_t type, F&& f) {
  switch (GgmlType(type)) {
    case GgmlType::F32: return f(std::integral_constant<GgmlType, GgmlType::F32>{});
    case GgmlType::F16: return f(std::integral_constant<GgmlType, GgmlType::F16>{});
    case GgmlType::BF16: return f(std::integral_constant<GgmlType, GgmlType::BF16>{});
    case GgmlType::Q8_0: return f(std::integral_constant<GgmlType, GgmlType::Q8_0>{});
    case GgmlType::Q4_0: return f(std::integral_constant<GgmlType, GgmlType::Q4_0>{});
    case GgmlType::Q4_K: return f(std::integral_constant<GgmlType, GgmlType::Q4_K>{});
    case GgmlType::Q6_K: return f(std::integral_constant<GgmlType, GgmlType::Q6_K>{});
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace tachyon::cuda
