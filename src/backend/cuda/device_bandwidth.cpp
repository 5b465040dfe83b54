#include "backend/cuda/device_bandwidth.h"

#include <algorithm>

#include "backend/cuda/device_buffer.h"

namespace tachyon::cuda {

Result<double> copy_bandwidth_gbps(size_t bytes) {
  DeviceBuffer a, b;
  if (Status s = a.allocate(bytes, "bandwidth test buffer"); !s) return s.error();
  if (Status s = b.allocate(bytes, "bandwidth test buffer"); !s) return s.error();
  // Random-looking contents, so nothing could shortcut zeros.
  if (Status s = cuda_status(cudaMemset(a.get(), 0x5a, bytes), "bandwidth test"); !s) return s.error();
  cudaEvent_t start = nullptr, stop = nullptr;
  if (Status s = cuda_status(cudaEventCreate(&start), "creating an event"); !s) return s.error();
  if (Status s = cuda_status(cudaEventCreate(&stop), "creating an event"); !s) {
    cudaEventDestroy(start);
    return s.error();
  }
  float best_ms = 0;
  cudaError_t err = cudaMemcpy(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice);
  for (int rep = 0; rep < 5 && err == cudaSuccess; ++rep) {
    float ms = 0;
    if ((err = cudaEventRecord(start)) != cudaSuccess) break;
    if ((err = cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice)) != cudaSuccess) break;
    if ((err = cudaEventRecord(stop)) != cudaSuccess) break;
    if ((err = cudaEventSynchronize(stop)) != cudaSuccess) break;
    if ((err = cudaEventElapsedTime(&ms, start, stop)) != cudaSuccess) break;
    best_ms = rep == 0 ? ms : std::min(best_ms, ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  if (Status s = cuda_status(err, "bandwidth test"); !s) return s.error();
  return 2.0 * double(bytes) / (double(best_ms) * 1e-3) / 1e9;
}

}  // namespace tachyon::cuda
