#include "util/thread_pool.h"

#include <algorithm>

namespace tachyon {
namespace {

// How long a thread polls before it sleeps: about the gap between two matmuls of one layer.
constexpr int kSpinIterations = 4000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Each chunk a thread takes is this share of what is left (divided by the thread count): the
// threads start on long contiguous runs (one memory stream each, in a decode matmul) and end on
// short ones, so the first to finish waits little for the others at the barrier, and a thread
// delayed by the OS (two cores, other processes) leaves most of its share to the others.
constexpr int64_t kShareDivisor = 2;

}  // namespace

void ThreadPool::run_chunks(const std::function<void(int64_t, int64_t, int)>& fn, int64_t n, int index) {
  const int64_t divisor = kShareDivisor * n_threads_;
  int64_t begin = next_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t end;
    do {
      if (begin >= n) return;
      end = begin + std::max<int64_t>(1, (n - begin) / divisor);
    } while (!next_.compare_exchange_weak(begin, end, std::memory_order_relaxed));
    fn(begin, end, index);
    begin = next_.load(std::memory_order_relaxed);
  }
}

ThreadPool::ThreadPool(int n_threads) {
  n_threads_ = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1 || n == 1) {
    fn(0, n, 0);
    return;
  }
  {
    // Publishing under the mutex means a worker that is about to sleep cannot miss the job.
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  run_chunks(fn, n, 0);
  for (int i = 0; i < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++i) cpu_relax();
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < kSpinIterations && generation_.load(std::memory_order_acquire) == seen; ++i) cpu_relax();
    const std::function<void(int64_t, int64_t, int)>* job;
    int64_t n;
    {
      std::unique_lock lock(mutex_);
      start_cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      if (stop_) return;
      seen = generation_.load(std::memory_order_acquire);
      job = job_;
      n = job_n_;
    }
    run_chunks(*job, n, index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

}  // namespace tachyon
