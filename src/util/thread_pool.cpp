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

// An owner takes this fraction of what is left of its share per step: long steps while much is
// left, single indices at the end, so that whoever finishes first finds something to take and
// waits little for the others. Its steps are adjacent either way.
constexpr int64_t kOwnerStepDivisor = 4;

// Shares hold 32-bit positions; longer loops run as consecutive slices of this many indices.
constexpr int64_t kMaxSlice = int64_t(1) << 31;

uint64_t pack_range(int64_t front, int64_t back) { return uint64_t(front) | uint64_t(back) << 32; }
int64_t range_front(uint64_t r) { return int64_t(r & 0xFFFFFFFFu); }
int64_t range_back(uint64_t r) { return int64_t(r >> 32); }

}  // namespace

std::pair<int64_t, int64_t> ThreadPool::share(int64_t n, int index) const {
  return {n * index / n_threads_, n * (index + 1) / n_threads_};
}

std::optional<std::pair<int64_t, int64_t>> ThreadPool::take_front(Share& s) {
  uint64_t r = s.left.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t front = range_front(r), back = range_back(r);
    if (front >= back) return std::nullopt;
    const int64_t end = front + std::max<int64_t>(1, (back - front) / kOwnerStepDivisor);
    if (s.left.compare_exchange_weak(r, pack_range(end, back), std::memory_order_relaxed)) return {{front, end}};
  }
}

std::optional<std::pair<int64_t, int64_t>> ThreadPool::take_back(Share& s) {
  uint64_t r = s.left.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t front = range_front(r), back = range_back(r);
    if (front >= back) return std::nullopt;
    const int64_t begin = back - std::max<int64_t>(1, (back - front) / 2);
    if (s.left.compare_exchange_weak(r, pack_range(front, begin), std::memory_order_relaxed)) return {{begin, back}};
  }
}

void ThreadPool::run_job(const std::function<void(int64_t, int64_t, int)>& fn, int64_t offset, int index) {
  while (const auto step = take_front(shares_[index])) fn(offset + step->first, offset + step->second, index);
  // Then half of what is left of the share with the most left, until nothing is.
  for (;;) {
    int victim = -1;
    int64_t most = 0;
    for (int other = 0; other < n_threads_; ++other) {
      const uint64_t r = shares_[other].left.load(std::memory_order_relaxed);
      if (range_back(r) - range_front(r) > most) most = range_back(r) - range_front(r), victim = other;
    }
    if (victim < 0) return;
    if (const auto step = take_back(shares_[victim])) fn(offset + step->first, offset + step->second, index);
  }
}

ThreadPool::ThreadPool(int n_threads) {
  n_threads_ = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
  shares_ = std::make_unique<Share[]>(size_t(n_threads_));
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
  for (int64_t offset = 0; offset < n; offset += kMaxSlice) run_slice(offset, std::min(kMaxSlice, n - offset), fn);
}

void ThreadPool::run_slice(int64_t offset, int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  {
    // Publishing under the mutex means a worker that is about to sleep cannot miss the job.
    std::lock_guard lock(mutex_);
    job_ = &fn;
    job_offset_ = offset;
    for (int i = 0; i < n_threads_; ++i) {
      const auto [front, back] = share(n, i);
      shares_[i].left.store(pack_range(front, back), std::memory_order_relaxed);
    }
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  run_job(fn, offset, 0);
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
    int64_t offset;
    {
      std::unique_lock lock(mutex_);
      start_cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      if (stop_) return;
      seen = generation_.load(std::memory_order_acquire);
      job = job_;
      offset = job_offset_;
    }
    run_job(*job, offset, index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

}  // namespace tachyon
