#pragma once
// Entry point of the CUDA backend for code compiled without CUDA headers.
#include <memory>

#include "model/forward_pass.h"
#include "model/llama_model.h"

namespace tachyon::cuda {

// Uploads the model's weights to the current CUDA device and returns its forward pass there;
// `model` must outlive it. Errors: no device, out of device memory, unsupported weight type.
Result<std::unique_ptr<ForwardPass>> make_cuda_forward(const LlamaModel& model);

}  // namespace tachyon::cuda
