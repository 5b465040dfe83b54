#pragma once
// A persistent pool of worker threads for data-parallel loops. Threads are created once;
// parallel_for gives each thread an equal contiguous share of [0, n), which it takes from the
// front in adjacent steps (one unbroken memory stream per thread when indices are rows of a
// matrix, as in a decode matmul); a thread that has finished its own share takes steps from
// the back of the share with the most left, so a thread the OS delays holds up little. A
// caller's arithmetic for an index never depends on the chunks or on which thread runs it
// (batch invariance relies on this).
// Between jobs, workers spin briefly before sleeping: a forward pass issues a parallel loop per
// matmul, back to back, and a condition-variable wake-up per loop would cost more than the
// loop's own work for small models. One caller at a time: parallel_for is not reentrant.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
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

  // Thread `index`'s share of [0, n): the indices it takes first, front to back.
  std::pair<int64_t, int64_t> share(int64_t n, int index) const;

 private:
  void worker(int index);
  void run_job(const std::function<void(int64_t, int64_t, int)>& fn, int64_t offset, int index);
  void run_slice(int64_t offset, int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

  // What is left of one thread's share, [front, back), packed in one word (front in the low 32
  // bits) so that its owner, taking from the front, and others, taking from the back, update it
  // with one compare-and-swap. On its own cache line.
  struct alignas(64) Share {
    std::atomic<uint64_t> left{0};
  };
  std::optional<std::pair<int64_t, int64_t>> take_front(Share& s);
  std::optional<std::pair<int64_t, int64_t>> take_back(Share& s);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int64_t, int64_t, int)>* job_ = nullptr;
  int64_t job_offset_ = 0;               // added to every index the shares hold
  std::unique_ptr<Share[]> shares_;       // one per thread
  std::atomic<uint64_t> generation_{0};  // bumped (under mutex_) once per job
  std::atomic<int> pending_{0};          // workers still running the current job
  bool stop_ = false;
};

}  // namespace tachyon
