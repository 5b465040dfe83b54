#pragma once
// Where a model's forward pass runs: the CPU (the CpuModel itself) or an accelerator backend in a
// subfolder of this one. The only place that knows which backends the build has.
#include <memory>
#include <string_view>

#include "model/forward_pass.h"
#include "model/cpu_model.h"
#include "util/result.h"

namespace tachyon {

enum class Device { Cpu, Cuda };

// "cpu" or "cuda"; an Error naming the accepted values otherwise.
Result<Device> parse_device(std::string_view name);
std::string_view device_name(Device device);

// The forward pass of `model` on an accelerator, its weights uploaded once here; `model` must
// outlive it. An Error when the build has no such backend (TACHYON_CUDA=OFF), no device is
// present, or the model uses a type or shape the backend does not run.
Result<std::unique_ptr<ForwardPass>> make_device_forward(const CpuModel& model, Device device);

// GB/s (1e9 bytes/s, bytes read plus bytes written) of the best of a few device-to-device copies
// of `bytes` bytes on the accelerator: the ceiling of its token generation.
Result<double> device_copy_bandwidth_gbps(Device device, size_t bytes);

}  // namespace tachyon
