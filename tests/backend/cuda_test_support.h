#pragma once
// Helpers of the CUDA tests: skipping where no device is present, and device copies of host data.
#include <vector>

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "backend/cuda/device_buffer.h"

namespace tachyon::cuda {

inline bool cuda_device_present() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define SKIP_WITHOUT_CUDA_DEVICE()                                                      \
  do {                                                                                  \
    if (!::tachyon::cuda::cuda_device_present()) GTEST_SKIP() << "no CUDA device present"; \
  } while (0)

template <typename T>
DeviceBuffer to_device(const std::vector<T>& host) {
  DeviceBuffer buf;
  EXPECT_TRUE(buf.allocate(host.size() * sizeof(T), "test buffer").ok());
  EXPECT_EQ(cudaMemcpy(buf.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return buf;
}

template <typename T>
std::vector<T> to_host(const DeviceBuffer& buf, size_t n) {
  std::vector<T> host(n);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), buf.get(), n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return host;
}

}  // namespace tachyon::cuda
