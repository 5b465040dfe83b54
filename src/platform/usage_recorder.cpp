#include "platform/usage_recorder.h"

#include <vector>

namespace tachyon::platform {

UsageRecorder::UsageRecorder(Store& store, size_t max_batch)
    : store_(store), max_batch_(max_batch == 0 ? 1 : max_batch), writer_([this] { run(); }) {}

UsageRecorder::~UsageRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

void UsageRecorder::record(UsageRecord row, Committed on_committed) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(row), std::move(on_committed)});
    ++n_queued_;
  }
  wake_writer_.notify_one();
}

void UsageRecorder::record_rate_limited(UsageRecord row, Committed on_committed, const FillRow& fill) {
  if (tally_.itemize(row.key_id, row.created_ms)) {
    if (fill) fill(row);
    return record(std::move(row), std::move(on_committed));
  }
  {
    std::lock_guard lock(mutex_);
    ++counts_[{row.key_id, row.endpoint, minute_of(row.created_ms)}];
    ++n_queued_;
  }
  wake_writer_.notify_one();
  if (on_committed) on_committed(Status::success());
}

void UsageRecorder::flush() {
  std::unique_lock lock(mutex_);
  const int64_t target = n_queued_;
  batch_done_.wait(lock, [&] { return n_done_ >= target; });
}

UsageRecorderStats UsageRecorder::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void UsageRecorder::run() {
  std::vector<Pending> batch;
  std::vector<UsageRecord> rows;
  std::vector<RefusalCount> counts;
  while (true) {
    int64_t n_counted = 0;
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty() || !counts_.empty(); });
      if (queue_.empty() && counts_.empty()) return;  // stopping with nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      counts.clear();
      for (const auto& [at, n] : counts_) {
        counts.push_back(RefusalCount{std::get<0>(at), std::get<1>(at), std::get<2>(at), n});
        n_counted += n;
      }
      counts_.clear();
    }
    if (!counts.empty()) {
      const Status counted = store_.add_refusal_counts(counts);
      std::lock_guard lock(mutex_);
      n_done_ += n_counted;
      (counted ? stats_.refusals_counted : stats_.count_failures) += n_counted;
    }
    if (batch.empty()) {
      batch_done_.notify_all();
      continue;
    }
    rows.clear();
    for (const Pending& p : batch) rows.push_back(p.row);
    const Status status = store_.insert_usage(rows);
    for (Pending& p : batch)
      if (p.on_committed) p.on_committed(status);
    // The callbacks (and what they hold, e.g. a handler's wake-up queue) are gone before
    // flush() returns, so a caller may destroy what they point into right after it.
    const auto n = int64_t(batch.size());
    batch.clear();
    {
      std::lock_guard lock(mutex_);
      n_done_ += n;
      stats_.transactions++;
      (status ? stats_.rows_committed : stats_.failures) += n;
    }
    batch_done_.notify_all();
  }
}

}  // namespace tachyon::platform
