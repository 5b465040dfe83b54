#pragma once
// The one writer of usage rows. Requests hand their finished UsageRecord to record() from any
// thread; a single writer thread takes everything queued so far and commits it in one
// transaction (group commit), then tells each request that its row is durable. The HTTP layer
// waits for that before it writes a response's final byte, so a request the client saw finish
// always has its row, even if the process is killed the next instant.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "platform/refusal_tally.h"
#include "platform/store.h"

namespace tachyon::platform {

struct UsageRecorderStats {
  int64_t rows_committed = 0;
  int64_t transactions = 0;
  int64_t failures = 0;  // rows whose transaction failed
  int64_t refusals_counted = 0;  // rate-limited refusals committed as counts, not rows
  int64_t count_failures = 0;    // such refusals whose counts could not be committed
};

class UsageRecorder {
 public:
  // Called on the writer thread once the row is committed (ok) or could not be (error).
  using Committed = std::function<void(Status)>;
  // Completes a row that is about to be kept, with what costs work to find out (e.g. parsing a
  // request body for its model).
  using FillRow = std::function<void(UsageRecord&)>;

  // `max_batch`: most rows per transaction. Starts the writer thread.
  explicit UsageRecorder(Store& store, size_t max_batch = 512);
  // Commits what is queued, then stops the writer thread.
  ~UsageRecorder();
  UsageRecorder(const UsageRecorder&) = delete;
  UsageRecorder& operator=(const UsageRecorder&) = delete;

  // Queues one row; never blocks on the database. Callable from any thread.
  void record(UsageRecord row, Committed on_committed = {});

  // The row of a refusal over a key's rate limits: completed by `fill` (when given) and queued
  // like record() when the key's RefusalTally has room for it this minute; otherwise only
  // counted (RefusalCount, committed with the next batch), `fill` is not called and
  // `on_committed` runs at once, on the caller's thread, with ok: the refusal bills nothing, so
  // its answer need not wait for the count.
  void record_rate_limited(UsageRecord row, Committed on_committed = {}, const FillRow& fill = {});

  // Blocks until every row queued before the call is committed and its callback has run and
  // been destroyed (tests, shutdown).
  void flush();

  UsageRecorderStats stats() const;

 private:
  struct Pending {
    UsageRecord row;
    Committed on_committed;
  };
  void run();

  Store& store_;
  size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable batch_done_;
  std::deque<Pending> queue_;
  RefusalTally tally_;
  // Refusals to count, by key, endpoint and minute.
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> counts_;
  int64_t n_queued_ = 0;  // rows and counted refusals ever queued
  int64_t n_done_ = 0;    // rows and counted refusals ever committed or failed
  bool stopping_ = false;
  UsageRecorderStats stats_;
  std::thread writer_;
};

}  // namespace tachyon::platform
