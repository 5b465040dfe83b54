#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

std::vector<float> random_logits(size_t n_vocab, uint64_t seed, float scale = 4.0f) {
  std::mt19937_64 rng(seed);
  std::vector<float> logits(n_vocab);
  for (float& logit : logits) {
    // Deterministic across standard libraries: built from raw bits, not a distribution.
    logit = scale * (static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24) - 0.5f);
  }
  return logits;
}

SamplingParams params_with_seed(uint64_t seed) {
  SamplingParams params;
  params.seed = seed;
  return params;
}

// Draws n tokens from fresh copies of the same logits row (the sampler overwrites its input).
std::vector<int32_t> draw_many(Sampler& sampler, const std::vector<float>& logits, int n) {
  std::vector<int32_t> tokens;
  tokens.reserve(n);
  for (int i = 0; i < n; ++i) {
    std::vector<float> row = logits;
    tokens.push_back(sampler.sample(row, {}).token);
  }
  return tokens;
}

std::set<int32_t> distinct(const std::vector<int32_t>& tokens) {
  return {tokens.begin(), tokens.end()};
}

TEST(Sampler, GreedyPicksLowestIdAmongTies) {
  SamplingParams params;
  params.temperature = 0.0f;
  Sampler sampler(params, 5);
  std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f, 2.5f};
  EXPECT_EQ(sampler.sample(logits, {}).token, 1);

  std::vector<float> all_equal(7, 0.25f);
  EXPECT_EQ(sampler.sample(all_equal, {}).token, 0);
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDiffers) {
  const std::vector<float> logits = random_logits(1000, 7, 3.0f);
  Sampler first(params_with_seed(1234), 1000);
  Sampler second(params_with_seed(1234), 1000);
  Sampler third(params_with_seed(4321), 1000);
  const std::vector<int32_t> a = draw_many(first, logits, 1000);
  const std::vector<int32_t> b = draw_many(second, logits, 1000);
  const std::vector<int32_t> c = draw_many(third, logits, 1000);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);

  first.reset_seed(1234);
  EXPECT_EQ(draw_many(first, logits, 1000), a);
}

TEST(Sampler, TemperatureSamplingMatchesSoftmax) {
  const std::vector<float> logits = {1.0f, 0.2f, -0.5f, 2.0f, 0.0f, 1.5f};
  SamplingParams params = params_with_seed(99);
  params.temperature = 0.7f;
  Sampler sampler(params, static_cast<int32_t>(logits.size()));
  constexpr int kDraws = 60000;
  std::vector<int> counts(logits.size(), 0);
  for (int32_t token : draw_many(sampler, logits, kDraws)) ++counts[token];

  double max_scaled = -1e30;
  for (float logit : logits) max_scaled = std::max(max_scaled, logit / 0.7);
  std::vector<double> probs;
  for (float logit : logits) probs.push_back(std::exp(logit / 0.7 - max_scaled));
  const double sum = std::accumulate(probs.begin(), probs.end(), 0.0);

  double chi_square = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double expected = kDraws * probs[i] / sum;
    chi_square += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  // 5 degrees of freedom: P(chi2 > 25.7) < 1e-4, and the seed is fixed, so this cannot flake.
  EXPECT_LT(chi_square, 25.7);
}

TEST(Sampler, TopKOneEqualsGreedy) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> logits = random_logits(5000, seed);
    logits[4000] = logits[123] = 10.0f;  // a tie at the top: lower id must win
    SamplingParams greedy_params;
    greedy_params.temperature = 0.0f;
    SamplingParams top1_params = params_with_seed(seed);
    top1_params.temperature = 1.5f;
    top1_params.top_k = 1;
    Sampler greedy(greedy_params, 5000);
    Sampler top1(top1_params, 5000);
    std::vector<float> row_a = logits;
    std::vector<float> row_b = logits;
    const int32_t expected = greedy.sample(row_a, {}).token;
    EXPECT_EQ(expected, 123);
    EXPECT_EQ(top1.sample(row_b, {}).token, expected);
  }
}

TEST(Sampler, TopKKeepsExactlyTheKBest) {
  // Probabilities by id: 0.25, 0.10, 0.50, 0.15.
  const std::vector<float> logits = {std::log(0.25f), std::log(0.10f), std::log(0.50f),
                                     std::log(0.15f)};
  SamplingParams params = params_with_seed(5);
  params.top_k = 3;
  Sampler sampler(params, 4);
  EXPECT_EQ(distinct(draw_many(sampler, logits, 3000)), (std::set<int32_t>{0, 2, 3}));
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  // Probabilities by id: 0.25, 0.10, 0.50, 0.15; sorted 0.50, 0.25, 0.15, 0.10.
  const std::vector<float> logits = {std::log(0.25f), std::log(0.10f), std::log(0.50f),
                                     std::log(0.15f)};
  const std::vector<std::pair<float, std::set<int32_t>>> cases = {
      {0.3f, {2}}, {0.7f, {0, 2}}, {0.85f, {0, 2, 3}}, {0.95f, {0, 1, 2, 3}}};
  for (const auto& [top_p, expected] : cases) {
    SamplingParams params = params_with_seed(11);
    params.top_p = top_p;
    Sampler sampler(params, 4);
    EXPECT_EQ(distinct(draw_many(sampler, logits, 3000)), expected) << "top_p " << top_p;
  }
}

TEST(Sampler, TopPOnALargeVocabularyKeepsTheRightSet) {
  // 200 "likely" tokens scattered over 5,000, in tied pairs; top_p = 0.5 keeps the best of them
  // only, so the boundary falls inside the likely group and ties must go to the lower id.
  constexpr int32_t kVocab = 5000;
  std::vector<float> logits(kVocab, 0.0f);
  std::mt19937_64 rng(3);
  std::vector<int32_t> ids(kVocab);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (int i = 0; i < 200; ++i) logits[ids[i]] = 8.0f + 0.001f * static_cast<float>(i / 2);

  std::vector<int32_t> order(kVocab);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(static_cast<double>(logit));
  std::set<int32_t> expected;
  double cumulative = 0.0;
  for (int32_t token : order) {
    expected.insert(token);
    cumulative += std::exp(static_cast<double>(logits[token])) / sum;
    if (cumulative >= 0.5) break;
  }
  ASSERT_GT(expected.size(), 64u);
  ASSERT_LT(expected.size(), 200u);

  SamplingParams params = params_with_seed(17);
  params.top_p = 0.5f;
  Sampler sampler(params, kVocab);
  EXPECT_EQ(distinct(draw_many(sampler, logits, 12000)), expected);
}

TEST(Sampler, MinPKeepsTokensAboveTheScaledMaximum) {
  // Probabilities by id: 0.25, 0.10, 0.50, 0.15.
  const std::vector<float> logits = {std::log(0.25f), std::log(0.10f), std::log(0.50f),
                                     std::log(0.15f)};
  const std::vector<std::pair<float, std::set<int32_t>>> cases = {
      {0.25f, {0, 2, 3}}, {0.4f, {0, 2}}, {0.6f, {2}}, {0.1f, {0, 1, 2, 3}}};
  for (const auto& [min_p, expected] : cases) {
    SamplingParams params = params_with_seed(23);
    params.min_p = min_p;
    Sampler sampler(params, 4);
    EXPECT_EQ(distinct(draw_many(sampler, logits, 3000)), expected) << "min_p " << min_p;
  }
}

// Runs one greedy step and returns the logits as the sampler left them (biased, penalised).
std::vector<float> processed_logits(SamplingParams params, std::vector<float> logits,
                                    const std::vector<int32_t>& history) {
  params.temperature = 0.0f;
  Sampler sampler(params, static_cast<int32_t>(logits.size()));
  (void)sampler.sample(logits, history);
  return logits;
}

const std::vector<float> kPenaltyLogits = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};
const std::vector<int32_t> kHistory = {3, 0, 1, 1};

TEST(Penalties, Repetition) {
  SamplingParams params;
  params.repetition_penalty = 2.0f;
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{1.0f, -2.0f, 0.5f, 1.5f, 0.0f}));
}

TEST(Penalties, Frequency) {
  SamplingParams params;
  params.frequency_penalty = 0.5f;
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{1.5f, -2.0f, 0.5f, 2.5f, 0.0f}));
}

TEST(Penalties, Presence) {
  SamplingParams params;
  params.presence_penalty = 0.25f;
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{1.75f, -1.25f, 0.5f, 2.75f, 0.0f}));
}

TEST(Penalties, AllThreeCombine) {
  SamplingParams params;
  params.repetition_penalty = 2.0f;
  params.frequency_penalty = 0.5f;
  params.presence_penalty = 0.25f;
  // token 1: -1 * 2 - 2 * 0.5 - 0.25 = -3.25; token 0: 2 / 2 - 0.5 - 0.25 = 0.25.
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{0.25f, -3.25f, 0.5f, 0.75f, 0.0f}));
}

TEST(Penalties, WindowCountsOnlyTheLastNTokens) {
  SamplingParams params;
  params.frequency_penalty = 1.0f;
  params.penalty_last_n = 2;  // sees {1, 1}
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{2.0f, -3.0f, 0.5f, 3.0f, 0.0f}));
  params.penalty_last_n = -1;  // sees everything
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory),
            (std::vector<float>{1.0f, -3.0f, 0.5f, 2.0f, 0.0f}));
  params.penalty_last_n = 0;  // off
  EXPECT_EQ(processed_logits(params, kPenaltyLogits, kHistory), kPenaltyLogits);
}

TEST(Penalties, RepeatedStepsStartFromCleanCounts) {
  PenaltyProcessor penalties(1.0f, 1.0f, 0.0f, -1);
  for (int step = 0; step < 3; ++step) {
    std::vector<float> logits = kPenaltyLogits;
    penalties.apply(logits, kHistory);
    EXPECT_EQ(logits, (std::vector<float>{1.0f, -3.0f, 0.5f, 2.0f, 0.0f}));
  }
}

TEST(LogitBias, AddsAndBans) {
  SamplingParams params;
  params.logit_bias = {{2, 1.5f}, {3, -100.0f}, {4, -3.0f}};
  const std::vector<float> out = processed_logits(params, kPenaltyLogits, {});
  EXPECT_EQ(out[2], 2.0f);
  EXPECT_EQ(out[3], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(out[4], -3.0f);
  EXPECT_EQ(out[0], 2.0f);
}

TEST(LogitBias, BannedTokensAreNeverSampled) {
  std::vector<float> logits = random_logits(50, 1);
  logits[7] = 20.0f;  // would win almost every draw
  SamplingParams params = params_with_seed(31);
  params.temperature = 2.0f;
  params.logit_bias = {{7, -100.0f}, {8, -250.0f}};
  Sampler sampler(params, 50);
  const std::set<int32_t> drawn = distinct(draw_many(sampler, logits, 5000));
  EXPECT_FALSE(drawn.contains(7));
  EXPECT_FALSE(drawn.contains(8));

  SamplingParams greedy_params = params;
  greedy_params.temperature = 0.0f;
  Sampler greedy(greedy_params, 50);
  std::vector<float> row = logits;
  EXPECT_NE(greedy.sample(row, {}).token, 7);
}

// log-softmax in double, the reference the sampler's float results are held to.
std::vector<double> log_softmax(const std::vector<float>& logits) {
  double max_logit = -1e300;
  for (float logit : logits) max_logit = std::max<double>(max_logit, logit);
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(logit - max_logit);
  std::vector<double> out;
  for (float logit : logits) out.push_back(logit - max_logit - std::log(sum));
  return out;
}

TEST(Logprobs, MatchLogSoftmaxAndTopIsSorted) {
  constexpr int32_t kVocab = 32000;
  const std::vector<float> logits = random_logits(kVocab, 42, 20.0f);
  const std::vector<double> reference = log_softmax(logits);
  std::vector<int32_t> by_logit(kVocab);
  std::iota(by_logit.begin(), by_logit.end(), 0);
  std::stable_sort(by_logit.begin(), by_logit.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });

  SamplingParams params = params_with_seed(8);
  params.temperature = 0.6f;  // logprobs report the untempered distribution regardless
  params.top_k = 50;
  params.logprobs = true;
  params.n_top_logprobs = 5;
  Sampler sampler(params, kVocab);
  for (int step = 0; step < 20; ++step) {
    std::vector<float> row = logits;
    const SampledToken sampled = sampler.sample(row, {});
    EXPECT_NEAR(sampled.logprob, reference[sampled.token], 1e-5);
    ASSERT_EQ(sampled.top.size(), 5u);
    for (size_t i = 0; i < sampled.top.size(); ++i) {
      EXPECT_EQ(sampled.top[i].token, by_logit[i]);
      EXPECT_NEAR(sampled.top[i].logprob, reference[sampled.top[i].token], 1e-5);
      if (i > 0) {
        EXPECT_GE(sampled.top[i - 1].logprob, sampled.top[i].logprob);
      }
    }
  }
}

TEST(Logprobs, ReflectBiasAndPenalties) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f, 0.5f};
  SamplingParams params;
  params.temperature = 0.0f;
  params.logprobs = true;
  params.n_top_logprobs = 4;
  params.logit_bias = {{2, -100.0f}};
  params.presence_penalty = 1.5f;
  Sampler sampler(params, 4);
  std::vector<float> row = logits;
  const SampledToken sampled = sampler.sample(row, std::vector<int32_t>{1});
  // Processed logits: {1, 0.5, -inf, 0.5}; greedy picks token 0.
  const std::vector<double> reference = log_softmax({1.0f, 0.5f, -INFINITY, 0.5f});
  EXPECT_EQ(sampled.token, 0);
  EXPECT_NEAR(sampled.logprob, reference[0], 1e-6);
  ASSERT_EQ(sampled.top.size(), 4u);
  EXPECT_EQ(sampled.top[0].token, 0);
  EXPECT_EQ(sampled.top[1].token, 1);  // tie with token 3: lower id first
  EXPECT_EQ(sampled.top[2].token, 3);
  EXPECT_EQ(sampled.top[3].token, 2);
  EXPECT_EQ(sampled.top[3].logprob, -INFINITY);
}

TEST(Logprobs, OffUnlessRequested) {
  SamplingParams params = params_with_seed(1);
  Sampler sampler(params, 3);
  std::vector<float> row = {0.0f, 1.0f, 2.0f};
  const SampledToken sampled = sampler.sample(row, {});
  EXPECT_EQ(sampled.logprob, 0.0f);
  EXPECT_TRUE(sampled.top.empty());
}

TEST(Sampler, LargeVocabularyWithEveryTruncation) {
  constexpr int32_t kVocab = 128256;
  const std::vector<float> logits = random_logits(kVocab, 5, 12.0f);
  SamplingParams params = params_with_seed(77);
  params.top_k = 40;
  params.top_p = 0.9f;
  params.min_p = 0.05f;
  params.temperature = 0.8f;
  params.repetition_penalty = 1.1f;
  Sampler a(params, kVocab);
  Sampler b(params, kVocab);
  const std::vector<int32_t> history = {1, 2, 3, 100000};
  for (int step = 0; step < 50; ++step) {
    std::vector<float> row_a = logits;
    std::vector<float> row_b = logits;
    const int32_t token = a.sample(row_a, history).token;
    EXPECT_EQ(token, b.sample(row_b, history).token);
    ASSERT_GE(token, 0);
    ASSERT_LT(token, kVocab);
  }
}

// Expects validate() to fail and to name the field.
void expect_rejected(const SamplingParams& params, const std::string& field) {
  const Status status = validate(params);
  ASSERT_FALSE(status.ok()) << field;
  EXPECT_NE(status.error().message.find(field), std::string::npos) << status.error().message;
}

TEST(Validate, AcceptsDefaultsAndBoundaries) {
  EXPECT_TRUE(validate(SamplingParams{}).ok());
  SamplingParams params;
  params.temperature = 2.0f;
  params.top_k = 1;
  params.top_p = 1.0f;
  params.min_p = 1.0f;
  params.frequency_penalty = -2.0f;
  params.presence_penalty = 2.0f;
  params.penalty_last_n = -1;
  params.logit_bias = {{0, -100.0f}, {5, 100.0f}};
  params.logprobs = true;
  params.n_top_logprobs = 20;
  EXPECT_TRUE(validate(params).ok());
  EXPECT_TRUE(validate(params, 6).ok());
}

TEST(Validate, RejectsOutOfRangeNamingTheField) {
  auto with = [](auto change) {
    SamplingParams params;
    change(params);
    return params;
  };
  expect_rejected(with([](SamplingParams& p) { p.temperature = -0.1f; }), "temperature");
  expect_rejected(with([](SamplingParams& p) { p.temperature = 2.5f; }), "temperature");
  expect_rejected(with([](SamplingParams& p) { p.temperature = NAN; }), "temperature");
  expect_rejected(with([](SamplingParams& p) { p.top_k = -1; }), "top_k");
  expect_rejected(with([](SamplingParams& p) { p.top_p = 0.0f; }), "top_p");
  expect_rejected(with([](SamplingParams& p) { p.top_p = 1.01f; }), "top_p");
  expect_rejected(with([](SamplingParams& p) { p.min_p = -0.5f; }), "min_p");
  expect_rejected(with([](SamplingParams& p) { p.min_p = 1.5f; }), "min_p");
  expect_rejected(with([](SamplingParams& p) { p.repetition_penalty = 0.0f; }),
                  "repetition_penalty");
  expect_rejected(with([](SamplingParams& p) { p.frequency_penalty = 2.1f; }),
                  "frequency_penalty");
  expect_rejected(with([](SamplingParams& p) { p.presence_penalty = -2.1f; }),
                  "presence_penalty");
  expect_rejected(with([](SamplingParams& p) { p.penalty_last_n = -2; }), "penalty_last_n");
  expect_rejected(with([](SamplingParams& p) { p.logit_bias = {{3, 100.5f}}; }), "logit_bias");
  expect_rejected(with([](SamplingParams& p) { p.logit_bias = {{-1, 1.0f}}; }), "logit_bias");
  expect_rejected(with([](SamplingParams& p) {
                    p.logprobs = true;
                    p.n_top_logprobs = 21;
                  }),
                  "top_logprobs");
  expect_rejected(with([](SamplingParams& p) { p.n_top_logprobs = 3; }), "top_logprobs");

  const Status vocab = validate(with([](SamplingParams& p) { p.logit_bias = {{10, 1.0f}}; }), 10);
  ASSERT_FALSE(vocab.ok());
  EXPECT_NE(vocab.error().message.find("logit_bias"), std::string::npos);
}

}  // namespace
}  // namespace tachyon
