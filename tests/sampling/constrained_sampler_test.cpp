// A sampler with a grammar matcher: every step is masked to the language, greedy and seeded
// draws alike, and logprobs describe the constrained distribution.
#include <cmath>

#include <gtest/gtest.h>

#include "constrain/regex_compiler.h"
#include "sampling/sampler.h"

namespace tachyon {
namespace {

// Tokens: "a", "b", "{", "}", "ab", and an end-of-generation token (id 5, no bytes).
std::shared_ptr<const TokenVocabulary> small_vocabulary() {
  return std::make_shared<const TokenVocabulary>(std::vector<std::string>{"a", "b", "{", "}", "ab", ""},
                                                 std::vector<int32_t>{5});
}

std::unique_ptr<GrammarMatcher> matcher_for(std::string_view regex) {
  auto grammar = compile_regex(regex);
  EXPECT_TRUE(grammar.ok());
  return std::make_unique<GrammarMatcher>(grammar.value(), small_vocabulary());
}

TEST(ConstrainedSampler, GreedyFollowsTheLanguageWhateverTheLogits) {
  SamplingParams params;
  params.temperature = 0;
  params.logprobs = true;
  params.n_top_logprobs = 3;
  Sampler sampler(params, 6, matcher_for("ab{2}"));
  std::vector<int32_t> out;
  while (!sampler.must_stop() && out.size() < 10) {
    std::vector<float> logits = {0.0f, 1.0f, 9.0f, 8.0f, 2.0f, 7.0f};  // "{" and "}" are the model's favourites
    SampledToken t = sampler.sample(logits, {});
    out.push_back(t.token);
    // Alternatives the grammar forbids have probability 0: never listed as possible.
    for (const auto& alt : t.top)
      if (std::isfinite(alt.logprob)) EXPECT_TRUE(alt.token == 0 || alt.token == 1 || alt.token == 4) << alt.token;
    EXPECT_TRUE(std::isfinite(t.logprob));
  }
  // "ab" (id 4) beats "a" (id 0), then "b": the only sentence is "abb".
  EXPECT_EQ(out, (std::vector<int32_t>{4, 1}));
  EXPECT_TRUE(sampler.must_stop());
}

TEST(ConstrainedSampler, SeededDrawsStayInTheLanguageAndRepeat) {
  auto run = [](uint64_t seed) {
    SamplingParams params;
    params.temperature = 1.0f;
    params.seed = seed;
    Sampler sampler(params, 6, matcher_for("[ab]{1,6}"));
    std::string text;
    const std::vector<std::string> bytes = {"a", "b", "{", "}", "ab", ""};
    for (int step = 0; step < 10 && !sampler.must_stop(); ++step) {
      std::vector<float> logits(6, 0.0f);
      SampledToken t = sampler.sample(logits, {});
      if (t.token == 5) break;
      text += bytes[t.token];
    }
    return text;
  };
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::string text = run(seed);
    EXPECT_GE(text.size(), 1u);
    EXPECT_LE(text.size(), 6u);
    EXPECT_EQ(text.find_first_not_of("ab"), std::string::npos) << text;
    EXPECT_EQ(run(seed), text);
  }
}

}  // namespace
}  // namespace tachyon
