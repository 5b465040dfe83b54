#include "platform/retention.h"

#include <chrono>

#include <fmt/format.h>

namespace tachyon::platform {

RetentionJob::RetentionJob(Store& store, std::function<int64_t()> now_ms, int64_t retention_ms, int64_t interval_ms)
    : store_(store), now_ms_(std::move(now_ms)), retention_ms_(retention_ms), interval_ms_(interval_ms) {
  if (interval_ms_ > 0) thread_ = std::thread([this] { run(); });
}

RetentionJob::~RetentionJob() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<int64_t> RetentionJob::purge_now() { return store_.purge_request_logs(now_ms_() - retention_ms_); }

void RetentionJob::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto purged = purge_now();
    if (!purged) fmt::print(stderr, "request log purge failed: {}\n", purged.error().message);
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace tachyon::platform
