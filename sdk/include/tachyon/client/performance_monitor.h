// Counts and latency distributions of a client's requests. Attach one to any client (or several:
// it is thread-safe); memory stays fixed however many requests it sees.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "tachyon/client/options.h"

namespace tachyon::client {

struct LatencySummary {
  std::uint64_t count = 0;
  Duration min{0}, mean{0}, max{0}, p50{0}, p90{0}, p99{0};
};

struct PerformanceStats {
  std::uint64_t requests = 0;   // finished calls: successes + errors
  std::uint64_t successes = 0;
  std::uint64_t errors = 0;
  std::uint64_t retries = 0;    // attempts beyond each call's first
  std::map<std::string, std::uint64_t> errors_by_type;  // "RateLimitError": 3, ...
  LatencySummary latency;       // of successful calls, retries included
  LatencySummary ttft;          // time to the first chunk, of streams
};

class PerformanceMonitor {
 public:
  PerformanceMonitor();
  // One finished call. Any thread.
  void record_success(Duration latency, std::optional<Duration> ttft = std::nullopt);
  void record_error(const std::string& error_type);
  void record_retry();
  PerformanceStats stats() const;
  // One line: requests, errors, latency and TTFT percentiles in milliseconds.
  std::string summary() const;
  void reset();

  // Percentiles come from log-spaced buckets 1% wide, from 1 us to ~3 h.
  static constexpr std::size_t kBuckets = 2300;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t count = 0;
    double sum_ns = 0;
    std::int64_t min_ns = 0, max_ns = 0;
    void add(Duration d);
    LatencySummary summarize() const;
  };

  mutable std::mutex mutex_;
  PerformanceStats counts_;
  Histogram latency_, ttft_;
};

}  // namespace tachyon::client
