#pragma once
// A persistent pool of worker threads for data-parallel loops. Threads are created once;
// parallel_for splits [0, n) into one contiguous chunk per thread, so which thread computes
// which index never changes the arithmetic of that index (batch invariance relies on this).
// Between jobs, workers spin briefly before sleeping: a forward pass issues a parallel loop per
// matmul, back to back, and a condition-variable wake-up per loop would cost more than the
// loop's own work for small models. One caller at a time: parallel_for is not reentrant.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tachyon {

class ThreadPool {
 public:
  // n_threads <= 0 picks std::thread::hardware_concurrency().
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_index) on every thread for disjoint chunks covering [0, n);
  // returns when all are done. The calling thread does chunk 0.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped (under mutex_) once per job
  std::atomic<int> pending_{0};          // workers still running the current job
  bool stop_ = false;
};

}  // namespace tachyon
