#pragma once
// Device memory owned by one object (cudaMalloc / cudaFree), and pinned host memory likewise.
#include <cstddef>
#include <utility>

#include "backend/cuda/cuda_status.h"

namespace tachyon::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }

  // Frees the old contents and allocates `bytes` (uninitialised).
  Status allocate(size_t bytes, std::string_view what) {
    if (ptr_) cudaFree(std::exchange(ptr_, nullptr));
    bytes_ = 0;
    if (bytes == 0) return Status::success();
    if (Status s = cuda_status(cudaMalloc(&ptr_, bytes), what); !s) return s;
    bytes_ = bytes;
    return Status::success();
  }
  // Grows to at least `bytes`, dropping the contents when it has to reallocate.
  Status reserve(size_t bytes, std::string_view what) { return bytes <= bytes_ ? Status::success() : allocate(bytes, what); }

  template <typename T = void>
  T* get() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  Status reserve(size_t bytes, std::string_view what) {
    if (bytes <= bytes_) return Status::success();
    if (ptr_) cudaFreeHost(std::exchange(ptr_, nullptr));
    bytes_ = 0;
    if (Status s = cuda_status(cudaMallocHost(&ptr_, bytes), what); !s) return s;
    bytes_ = bytes;
    return Status::success();
  }
  template <typename T = void>
  T* get() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace tachyon::cuda
