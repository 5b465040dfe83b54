#include "backend/device.h"

#include "model/llama_model.h"

#ifdef TACHYON_CUDA
#include "backend/cuda/cuda_forward.h"
#include "backend/cuda/device_bandwidth.h"
#endif

namespace tachyon {

Result<Device> parse_device(std::string_view name) {
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda") return Device::Cuda;
  return make_error(ErrorKind::InvalidArgument, "unknown device '{}' (cpu, cuda)", name);
}

std::string_view device_name(Device device) { return device == Device::Cuda ? "cuda" : "cpu"; }

Result<std::unique_ptr<ForwardPass>> make_device_forward(const CpuModel& model, Device device) {
  switch (device) {
    case Device::Cpu:
      return make_error("the CPU forward pass is the model itself");
    case Device::Cuda:
#ifdef TACHYON_CUDA
      if (const auto* llama = dynamic_cast<const LlamaModel*>(&model)) return cuda::make_cuda_forward(*llama);
      return make_error(ErrorKind::Unavailable, "the CUDA backend runs llama models only, not {}",
                        model.hparams().architecture);
#else
      return make_error(ErrorKind::Unavailable,
                        "this build has no CUDA backend (configure with -DTACHYON_CUDA=ON and nvcc 12 or newer)");
#endif
  }
  return make_error("unknown device");
}

Result<double> device_copy_bandwidth_gbps(Device device, size_t bytes) {
#ifdef TACHYON_CUDA
  if (device == Device::Cuda) return cuda::copy_bandwidth_gbps(bytes);
#endif
  return make_error(ErrorKind::Unavailable, "no {} device in this build", device_name(device));
}

}  // namespace tachyon
