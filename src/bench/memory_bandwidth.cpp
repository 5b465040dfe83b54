#include "bench/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "util/huge_pages.h"

namespace tachyon::bench {

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int reps) {
  const int64_t n = int64_t(std::max<size_t>(bytes / sizeof(uint64_t), 64));
  // Huge pages, like the packed weights the kernels stream through: otherwise the figure
  // measures TLB misses as much as DRAM.
  const std::shared_ptr<uint8_t> owner = allocate_huge_pages(size_t(n) * sizeof(uint64_t));
  if (!owner) return 0;
  uint64_t* buffer = reinterpret_cast<uint64_t*>(owner.get());
  // Each thread writes (and so faults in) the pages it will later read, keeping them on its node.
  pool.parallel_for(n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) buffer[size_t(i)] = uint64_t(i);
  });
  std::atomic<uint64_t> sink{0};  // an observable side effect, so the sums are not optimised away
  double best_s = 0;
  for (int r = 0; r < std::max(reps, 1); ++r) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(n / 8, [&](int64_t begin, int64_t end, int) {
      // Eight independent sums keep enough loads in flight for the read to be memory-bound.
      uint64_t s[8] = {};
      for (int64_t i = begin * 8; i < end * 8; i += 8)
        for (int k = 0; k < 8; ++k) s[k] += buffer[size_t(i + k)];
      uint64_t total = 0;
      for (uint64_t x : s) total += x;
      sink.fetch_add(total, std::memory_order_relaxed);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r == 0 || s < best_s) best_s = s;
  }
  const double read_bytes = double(n / 8) * 8 * sizeof(uint64_t);
  return read_bytes / best_s / 1e9;
}

}  // namespace tachyon::bench
