#pragma once
// A persistent pool of worker threads for data-parallel loops. Threads are created once;
// parallel_for hands out contiguous chunks of [0, n) to whichever thread is free, each a share
// of what is left (long runs first, short ones last); a caller's arithmetic for an index never
// depends on the chunks or on which thread runs it (batch invariance relies on this).
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

  // Calls fn(begin, end, thread_index) for disjoint chunks covering [0, n), each on one thread
  // (a thread may get several; calls with the same thread_index never overlap); returns when
  // all are done. The calling thread takes part as thread 0.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void worker(int index);
  void run_chunks(const std::function<void(int64_t, int64_t, int)>& fn, int64_t n, int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_n_ = 0;
  std::atomic<uint64_t> generation_{0};  // bumped (under mutex_) once per job
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<int64_t> next_{0};         // first index of the current job not yet handed out
  bool stop_ = false;
};

}  // namespace tachyon
