#include "bench/workload.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace tachyon::bench {
namespace {

TEST(PoissonArrivalsTest, MeanRateMatchesAndIsSeeded) {
  const auto a = poisson_arrivals(2.0, 20000, 0, 17);
  ASSERT_EQ(a.size(), 20000u);
  for (size_t i = 1; i < a.size(); ++i) ASSERT_GT(a[i], a[i - 1]);
  const double rate = double(a.size()) / a.back();
  EXPECT_NEAR(rate, 2.0, 2.0 * 0.03);
  // Exponential gaps: their standard deviation equals their mean.
  double sum = 0, sq = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double gap = a[i] - (i ? a[i - 1] : 0.0);
    sum += gap;
    sq += gap * gap;
  }
  const double mean = sum / double(a.size());
  EXPECT_NEAR(std::sqrt(sq / double(a.size()) - mean * mean), mean, mean * 0.05);
  EXPECT_EQ(poisson_arrivals(2.0, 50, 0, 17), poisson_arrivals(2.0, 50, 0, 17));
  EXPECT_NE(poisson_arrivals(2.0, 50, 0, 17), poisson_arrivals(2.0, 50, 0, 18));
}

TEST(PoissonArrivalsTest, StopsAtDurationOrCount) {
  const auto by_time = poisson_arrivals(10.0, 0, 30.0, 3);
  ASSERT_FALSE(by_time.empty());
  EXPECT_LE(by_time.back(), 30.0);
  EXPECT_NEAR(double(by_time.size()), 300.0, 60.0);
  EXPECT_EQ(poisson_arrivals(10.0, 5, 30.0, 3).size(), 5u);
  EXPECT_TRUE(poisson_arrivals(10.0, 0, 0, 3).empty());
  EXPECT_TRUE(poisson_arrivals(0.0, 5, 0, 3).empty());
}

TEST(LengthDistributionTest, MeansFollowTheScaledTargets) {
  LengthDistribution d;
  d.mean_prompt_tokens = 700;
  d.mean_output_tokens = 550;
  d.length_scale = 0.1;
  d.max_context = 100000;
  const auto lengths = sample_lengths(d, 20000, 5);
  ASSERT_EQ(lengths.size(), 20000u);
  double p = 0, o = 0;
  for (const auto& l : lengths) {
    p += l.prompt_tokens;
    o += l.output_tokens;
  }
  EXPECT_NEAR(p / 20000, 70.0, 70.0 * 0.03);
  EXPECT_NEAR(o / 20000, 55.0, 55.0 * 0.03);
  EXPECT_EQ(sample_lengths(d, 10, 5)[3].prompt_tokens, lengths[3].prompt_tokens);
}

TEST(LengthDistributionTest, NeverExceedsTheContext) {
  LengthDistribution d;
  d.max_context = 256;
  d.template_overhead = 16;
  d.sigma = 1.0;  // wide, so that many draws need shrinking
  for (const auto& l : sample_lengths(d, 2000, 9)) {
    ASSERT_GE(l.prompt_tokens, 1);
    ASSERT_GE(l.output_tokens, 1);
    ASSERT_LE(l.prompt_tokens + l.output_tokens + 16, 256);
  }
  d.max_context = 2;  // smaller than the overhead: still one token each
  for (const auto& l : sample_lengths(d, 10, 9)) {
    EXPECT_EQ(l.prompt_tokens, 1);
    EXPECT_EQ(l.output_tokens, 1);
  }
}

TEST(PromptTextTest, HasTheRequestedNumberOfWords) {
  const std::string text = make_prompt_text(123, 4);
  std::istringstream in(text);
  std::string word;
  int n = 0;
  while (in >> word) {
    ++n;
    for (char c : word) ASSERT_TRUE(c >= 'a' && c <= 'z') << word;
  }
  EXPECT_EQ(n, 123);
  EXPECT_NE(make_prompt_text(50, 1), make_prompt_text(50, 2));
  EXPECT_EQ(make_prompt_text(0, 1), "");
  const auto requests = synthetic_requests(LengthDistribution{}, 3, 11);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[0].prompt, requests[1].prompt);
}

TEST(DatasetTest, ReadsJsonLinesAndReportsBadLines) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto good = dir / "tachyon_bench_dataset_good.jsonl";
  std::ofstream(good) << "{\"prompt\": \"one two three\", \"output_tokens\": 5}\n\n"
                         "{\"prompt\": \"four\", \"output_tokens\": 2, \"extra\": 1}\n";
  auto loaded = load_dataset(good.string());
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].prompt_tokens, 3);
  EXPECT_EQ((*loaded)[0].output_tokens, 5);
  EXPECT_EQ((*loaded)[1].prompt, "four");

  const auto bad = dir / "tachyon_bench_dataset_bad.jsonl";
  std::ofstream(bad) << "{\"prompt\": \"x\", \"output_tokens\": 1}\n{\"prompt\": 3}\n";
  auto failed = load_dataset(bad.string());
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find(":2:"), std::string::npos) << failed.error().message;
  EXPECT_FALSE(load_dataset((dir / "tachyon_bench_no_such_file.jsonl").string()));
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace tachyon::bench
