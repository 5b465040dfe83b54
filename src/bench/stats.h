#pragma once
// Summary statistics for benchmark samples. Pure functions, safe from any thread.
#include <span>

namespace tachyon::bench {

struct MeanStddev {
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for fewer than two samples
};

// Mean and sample standard deviation; {0, 0} for no samples.
MeanStddev mean_stddev(std::span<const double> samples);

// The p-th percentile (p in [0, 100]) with linear interpolation between closest ranks (numpy's
// default), so small samples still give distinct p90/p99. 0 for no samples.
double percentile(std::span<const double> samples, double p);

struct Percentiles {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
};

// p50, p90 and p99 of the samples; zeros for no samples.
Percentiles percentiles(std::span<const double> samples);

}  // namespace tachyon::bench
