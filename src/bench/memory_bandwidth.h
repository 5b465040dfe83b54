#pragma once
// Sustained memory read bandwidth, the ceiling of single-stream token generation (every weight
// is read once per token). Call from one thread; it uses the pool for the parallel reads.
#include <cstddef>

#include "util/thread_pool.h"

namespace tachyon::bench {

// GB/s (1e9 bytes/s) of the best of `reps` multi-threaded streaming reads over a buffer of
// `bytes` bytes. The buffer should be at least 4x the last-level cache so that reads reach DRAM.
double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int reps = 3);

}  // namespace tachyon::bench
