#pragma once
// The retention period of request logs: a background thread that deletes logs older than the
// period, once at start and then at every interval.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "platform/store.h"

namespace tachyon::platform {

class RetentionJob {
 public:
  // Purges logs older than `retention_ms` by the clock `now_ms` (Unix milliseconds). With
  // `interval_ms` > 0 a thread purges at start and then every interval; with 0 only purge_now()
  // does (tests).
  RetentionJob(Store& store, std::function<int64_t()> now_ms, int64_t retention_ms, int64_t interval_ms);
  // Stops the thread, if any.
  ~RetentionJob();
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  // Deletes the logs created before now - retention; returns how many. Any thread.
  Result<int64_t> purge_now();

 private:
  void run();

  Store& store_;
  std::function<int64_t()> now_ms_;
  int64_t retention_ms_;
  int64_t interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tachyon::platform
