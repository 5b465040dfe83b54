#pragma once
// CUDA runtime errors as Status values.
#include <string_view>

#include <cuda_runtime_api.h>

#include "util/result.h"

namespace tachyon::cuda {

// Success, or an Internal error "what: <CUDA's message>".
inline Status cuda_status(cudaError_t e, std::string_view what) {
  if (e == cudaSuccess) return Status::success();
  return make_error(ErrorKind::Internal, "{}: {}", what, cudaGetErrorString(e));
}

}  // namespace tachyon::cuda
