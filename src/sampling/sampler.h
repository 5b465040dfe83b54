#pragma once
// Turns one step's logits into the next token for one request.
//
// Order of processing, per step:
//   0. grammar             constrained decoding only: tokens that would leave the requested
//                          language (JSON Schema, JSON object, regex) become -inf, so logprobs,
//                          greedy and sampling all see the constrained distribution
//   1. logit_bias          added to the raw logits (<= -100 bans the token)
//   2. penalties           repetition, frequency, presence over the last penalty_last_n tokens
//   3. logprobs            log-softmax of the logits as they are now: the model's distribution
//                          after bias and penalties, before temperature and truncation (vLLM)
//   4. greedy              if temperature == 0: argmax, lowest id wins ties; stop here
//   5. top_k               keep the k highest logits (ties: lower id)
//   6. temperature         logits divided by it
//   7. softmax
//   8. min_p               keep tokens with p >= min_p * p_max
//   9. top_p               keep the smallest most-likely prefix whose mass reaches top_p
//  10. draw                one uniform number from the sampler's own mt19937_64 per
//                          non-greedy step, walked over the survivors in a canonical order
// The draw depends only on the seed, the number of earlier non-greedy steps and the logits, so
// results are reproducible whatever else runs in the process.
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "constrain/grammar_matcher.h"
#include "sampling/logits_processors.h"
#include "sampling/logprobs.h"
#include "sampling/sampling_params.h"

namespace tachyon {

// The token chosen at one step and what the OpenAI logprobs fields need about it.
struct SampledToken {
  int32_t token;
  // Log-probability of token under the model's distribution (step 3 above); 0 unless
  // params.logprobs is set.
  float logprob;
  std::vector<TokenLogprob> top;  // the n_top_logprobs most likely tokens, best first
};

// A per-request sampler: owns the request's random stream and scratch buffers. Not
// thread-safe; one request's steps call it in order from one thread at a time.
class Sampler {
 public:
  // params should have passed validate(); n_vocab is the length of every logits row. With a
  // matcher, every step is constrained to its language and advances it by the chosen token.
  Sampler(SamplingParams params, int32_t n_vocab, std::unique_ptr<GrammarMatcher> matcher = nullptr);

  // logits: this step's row (n_vocab), used as scratch and left holding the biased and
  // penalised logits. history: prompt + generated tokens so far, oldest first.
  SampledToken sample(std::span<float> logits, std::span<const int32_t> history);

  // Restarts the random stream as if the sampler had been built with this seed.
  void reset_seed(uint64_t seed);

  const SamplingParams& params() const { return params_; }
  bool constrained() const { return matcher_ != nullptr; }
  // Constrained decoding: the output is a complete sentence of the language and no further
  // byte may follow, so generation must end here.
  bool must_stop() const { return matcher_ && matcher_->must_stop(); }

 private:
  // A surviving token during truncation; logit is after temperature, weight its unnormalised
  // probability exp(logit - max_logit).
  struct Candidate {
    int32_t token;
    float logit;
    float weight;
  };

  int32_t sample_from_distribution(std::span<const float> logits);
  void collect_candidates(std::span<const float> logits);  // drops banned tokens, applies top_k
  void apply_temperature_softmax();
  void keep_min_p();
  void keep_top_p();
  double total_weight() const;
  int32_t draw(double uniform) const;
  double next_uniform();

  SamplingParams params_;
  std::unique_ptr<GrammarMatcher> matcher_;  // null: unconstrained
  PenaltyProcessor penalties_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;  // scratch, reused across steps
  std::vector<Candidate> ranked_;      // scratch: top_p's boundary bucket
  std::vector<double> bucket_mass_;    // scratch: top_p's mass per logit bucket
  bool candidates_sorted_ = false;     // candidates_ ordered best first (else by token id)
};

}  // namespace tachyon
