#pragma once
// Sustained memory read bandwidth, the ceiling of single-stream token generation (every weight
// is read once per token). Call from one thread; it uses the pool for the parallel reads.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "util/thread_pool.h"

namespace tachyon::bench {

// A buffer read again and again, one timed multi-threaded streaming pass per sample, so that
// samples can be taken between other timed work (the generation test's blocks of tokens): on
// a shared machine the bandwidth drifts within seconds, and a ratio is only meaningful between
// figures taken at about the same time.
class ReadBandwidthProbe {
 public:
  // `bytes` should be at least 4x the last-level cache so that reads reach DRAM. Writes (and
  // so faults in) the buffer from the pool's threads.
  ReadBandwidthProbe(ThreadPool& pool, size_t bytes);

  bool ok() const { return owner_ != nullptr; }
  // GB/s (1e9 bytes/s) of one pass; 0 when the buffer could not be allocated.
  double sample();

 private:
  ThreadPool& pool_;
  std::shared_ptr<uint8_t> owner_;
  int64_t n_words_ = 0;
};

}  // namespace tachyon::bench
