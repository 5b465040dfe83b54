#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tachyon::bench {

MeanStddev mean_stddev(std::span<const double> samples) {
  if (samples.empty()) return {};
  double sum = 0;
  for (double x : samples) sum += x;
  const double mean = sum / double(samples.size());
  if (samples.size() < 2) return {mean, 0};
  double sq = 0;
  for (double x : samples) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / double(samples.size() - 1))};
}

double percentile(std::span<const double> samples, double p) {
  if (samples.empty()) return 0;
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - double(lo));
}

Percentiles percentiles(std::span<const double> samples) {
  return {percentile(samples, 50), percentile(samples, 90), percentile(samples, 99)};
}

}  // namespace tachyon::bench
