#include "bench/usage_bench.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "platform/sqlite_store.h"
#include "platform/usage_recorder.h"

namespace tachyon::bench {
namespace {

using Clock = std::chrono::steady_clock;

platform::UsageRecord sample_row(int64_t i) {
  platform::UsageRecord r{.request_id = fmt::format("bench-{}", i), .key_id = std::string("key_bench"),
                          .model = std::string("bench-model"), .endpoint = std::string("/v1/chat/completions")};
  r.created_ms = 1'700'000'000'000 + i;
  r.prompt_tokens = 100 + i % 50;
  r.completion_tokens = 200 + i % 70;
  r.cost = platform::compute_cost({1, 2, 0.005}, r.prompt_tokens, r.completion_tokens);
  return r;
}

// Records one row and blocks until it is committed, as a request waits before its last byte;
// returns the wait in milliseconds.
double record_and_wait(platform::UsageRecorder& recorder, int64_t i) {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  const auto start = Clock::now();
  recorder.record(sample_row(i), [&](Status) {
    std::lock_guard lock(mutex);
    done = true;
    done_cv.notify_one();
  });
  std::unique_lock lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

Result<UsageBenchResult> run_usage_bench(const UsageBenchOptions& o) {
  std::error_code ec;
  if (std::filesystem::exists(o.data_dir, ec))
    return make_error("{} exists; the benchmark needs a fresh folder", o.data_dir);
  UsageBenchResult result;
  {
    auto store = platform::open_sqlite_store(o.data_dir);
    if (!store) return store.error();
    platform::UsageRecorder recorder(**store);
    int64_t next = 0;

    std::vector<double> sequential;
    for (int i = 0; i < o.n_sequential; ++i) sequential.push_back(record_and_wait(recorder, next++));
    result.sequential_ms = percentiles(sequential);

    std::vector<std::vector<double>> waits(o.n_concurrent);
    std::vector<std::thread> clients;
    const auto start = Clock::now();
    for (int c = 0; c < o.n_concurrent; ++c) {
      const int64_t base = next + int64_t(c) * o.n_rows_per_client;
      clients.emplace_back([&, c, base] {
        for (int i = 0; i < o.n_rows_per_client; ++i) waits[c].push_back(record_and_wait(recorder, base + i));
      });
    }
    for (auto& t : clients) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    next += int64_t(o.n_concurrent) * o.n_rows_per_client;
    std::vector<double> all;
    for (const auto& w : waits) all.insert(all.end(), w.begin(), w.end());
    result.concurrent_ms = percentiles(all);
    result.concurrent_rows_per_s = double(all.size()) / seconds;

    const auto before = recorder.stats();
    const auto burst_start = Clock::now();
    for (int i = 0; i < o.n_burst; ++i) recorder.record(sample_row(next++));
    recorder.flush();
    const double burst_seconds = std::chrono::duration<double>(Clock::now() - burst_start).count();
    const auto after = recorder.stats();
    if (after.failures > 0) return make_error(ErrorKind::Internal, "{} rows failed to commit", after.failures);
    result.burst_rows_per_s = double(o.n_burst) / burst_seconds;
    result.burst_rows_per_transaction =
        double(after.rows_committed - before.rows_committed) / double(std::max<int64_t>(1, after.transactions - before.transactions));
  }
  std::filesystem::remove_all(o.data_dir, ec);
  return result;
}

std::string usage_bench_markdown(const UsageBenchOptions& o, const UsageBenchResult& r) {
  std::string out = "| measurement | p50 ms | p90 ms | p99 ms | rows/s |\n|---|---:|---:|---:|---:|\n";
  out += fmt::format("| commit wait, one request at a time ({} rows) | {:.3f} | {:.3f} | {:.3f} | |\n", o.n_sequential,
                     r.sequential_ms.p50, r.sequential_ms.p90, r.sequential_ms.p99);
  out += fmt::format("| commit wait, {} requests finishing together | {:.3f} | {:.3f} | {:.3f} | {:.0f} |\n", o.n_concurrent,
                     r.concurrent_ms.p50, r.concurrent_ms.p90, r.concurrent_ms.p99, r.concurrent_rows_per_s);
  out += fmt::format("| writer peak: {} rows queued at once ({:.0f} rows per transaction) | | | | {:.0f} |\n", o.n_burst,
                     r.burst_rows_per_transaction, r.burst_rows_per_s);
  return out;
}

}  // namespace tachyon::bench
