#include "bench/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "util/huge_pages.h"

namespace tachyon::bench {

ReadBandwidthProbe::ReadBandwidthProbe(ThreadPool& pool, size_t bytes) : pool_(pool) {
  n_words_ = int64_t(std::max<size_t>(bytes / sizeof(uint64_t), 64)) / 8 * 8;
  // Huge pages, like the packed weights the kernels stream through: otherwise the figure
  // measures TLB misses as much as DRAM.
  owner_ = allocate_huge_pages(size_t(n_words_) * sizeof(uint64_t));
  if (!owner_) return;
  uint64_t* buffer = reinterpret_cast<uint64_t*>(owner_.get());
  // Each thread writes (and so faults in) the pages it will later read, keeping them on its node.
  pool_.parallel_for(n_words_, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) buffer[size_t(i)] = uint64_t(i);
  });
}

double ReadBandwidthProbe::sample() {
  if (!owner_) return 0;
  const uint64_t* buffer = reinterpret_cast<const uint64_t*>(owner_.get());
  std::atomic<uint64_t> sink{0};  // an observable side effect, so the sums are not optimised away
  const auto start = std::chrono::steady_clock::now();
  pool_.parallel_for(n_words_ / 8, [&](int64_t begin, int64_t end, int) {
    // Eight independent sums keep enough loads in flight for the read to be memory-bound.
    uint64_t s[8] = {};
    for (int64_t i = begin * 8; i < end * 8; i += 8)
      for (int k = 0; k < 8; ++k) s[k] += buffer[size_t(i + k)];
    uint64_t total = 0;
    for (uint64_t x : s) total += x;
    sink.fetch_add(total, std::memory_order_relaxed);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return double(n_words_) * sizeof(uint64_t) / seconds / 1e9;
}

}  // namespace tachyon::bench
