#include "tachyon/client/performance_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tachyon::client {

namespace {
// Bucket i holds durations in (1us * 1.01^(i-1), 1us * 1.01^i]; bucket 0 everything up to 1 us.
const double kLogGrowth = std::log(1.01);

std::size_t bucket_of(std::int64_t ns) {
  if (ns <= 1000) return 0;
  auto i = static_cast<std::size_t>(std::ceil(std::log(static_cast<double>(ns) / 1000.0) / kLogGrowth));
  return std::min(i, PerformanceMonitor::kBuckets - 1);
}

std::int64_t bucket_upper_ns(std::size_t i) { return static_cast<std::int64_t>(1000.0 * std::exp(kLogGrowth * i)); }

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
}  // namespace

PerformanceMonitor::PerformanceMonitor() = default;

void PerformanceMonitor::Histogram::add(Duration d) {
  std::int64_t ns = std::max<std::int64_t>(0, d.count());
  if (count == 0 || ns < min_ns) min_ns = ns;
  if (count == 0 || ns > max_ns) max_ns = ns;
  ++count;
  sum_ns += static_cast<double>(ns);
  ++counts[bucket_of(ns)];
}

LatencySummary PerformanceMonitor::Histogram::summarize() const {
  LatencySummary s;
  s.count = count;
  if (count == 0) return s;
  s.min = Duration(min_ns);
  s.max = Duration(max_ns);
  s.mean = Duration(static_cast<std::int64_t>(sum_ns / static_cast<double>(count)));
  auto percentile = [&](double p) {
    auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return Duration(std::clamp(bucket_upper_ns(i), min_ns, max_ns));
    }
    return Duration(max_ns);
  };
  s.p50 = percentile(0.50);
  s.p90 = percentile(0.90);
  s.p99 = percentile(0.99);
  return s;
}

void PerformanceMonitor::record_success(Duration latency, std::optional<Duration> ttft) {
  std::lock_guard lock(mutex_);
  ++counts_.requests;
  ++counts_.successes;
  latency_.add(latency);
  if (ttft) ttft_.add(*ttft);
}

void PerformanceMonitor::record_error(const std::string& error_type) {
  std::lock_guard lock(mutex_);
  ++counts_.requests;
  ++counts_.errors;
  ++counts_.errors_by_type[error_type];
}

void PerformanceMonitor::record_retry() {
  std::lock_guard lock(mutex_);
  ++counts_.retries;
}

PerformanceStats PerformanceMonitor::stats() const {
  std::lock_guard lock(mutex_);
  PerformanceStats out = counts_;
  out.latency = latency_.summarize();
  out.ttft = ttft_.summarize();
  return out;
}

std::string PerformanceMonitor::summary() const {
  PerformanceStats s = stats();
  char line[512];
  std::snprintf(line, sizeof line,
                "requests %llu (errors %llu, retries %llu); latency ms min %.2f mean %.2f max %.2f p50 %.2f p90 %.2f "
                "p99 %.2f",
                static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.errors),
                static_cast<unsigned long long>(s.retries), ms(s.latency.min), ms(s.latency.mean), ms(s.latency.max),
                ms(s.latency.p50), ms(s.latency.p90), ms(s.latency.p99));
  std::string out = line;
  if (s.ttft.count > 0) {
    std::snprintf(line, sizeof line, "; ttft ms p50 %.2f p90 %.2f p99 %.2f", ms(s.ttft.p50), ms(s.ttft.p90),
                  ms(s.ttft.p99));
    out += line;
  }
  return out;
}

void PerformanceMonitor::reset() {
  std::lock_guard lock(mutex_);
  counts_ = {};
  latency_ = {};
  ttft_ = {};
}

}  // namespace tachyon::client
