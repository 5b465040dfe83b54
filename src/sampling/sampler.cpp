#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "sampling/token_ranking.h"

namespace tachyon {
namespace {

constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

// Logit buckets for the top_p selection: about this many candidates per bucket, so the sort of
// the boundary bucket stays short, with at most kMaxTopPBuckets to walk per step.
constexpr size_t kTokensPerTopPBucket = 16;
constexpr size_t kMaxTopPBuckets = 4096;

uint64_t random_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ static_cast<uint64_t>(device());
}

// Greedy choice: highest logit, lowest id among equals; NaN never wins. Token 0 when every
// logit is -inf, so that a request that banned everything still gets an answer.
int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  float best_logit = kNegativeInfinity;
  for (int32_t token = 0; token < static_cast<int32_t>(logits.size()); ++token) {
    if (logits[token] > best_logit) {
      best_logit = logits[token];
      best = token;
    }
  }
  return best;
}

}  // namespace

Sampler::Sampler(SamplingParams params, int32_t n_vocab, std::unique_ptr<GrammarMatcher> matcher)
    : params_(std::move(params)),
      matcher_(std::move(matcher)),
      penalties_(params_.repetition_penalty, params_.frequency_penalty, params_.presence_penalty,
                 params_.penalty_last_n),
      rng_(params_.seed ? *params_.seed : random_seed()) {
  candidates_.reserve(static_cast<size_t>(n_vocab));
}

void Sampler::reset_seed(uint64_t seed) { rng_.seed(seed); }

SampledToken Sampler::sample(std::span<float> logits, std::span<const int32_t> history) {
  if (matcher_) matcher_->mask_logits(logits);
  apply_logit_bias(logits, params_.logit_bias);
  penalties_.apply(logits, history);

  SampledToken out{0, 0.0f, {}};
  double log_sum = 0.0;
  if (params_.logprobs) {
    log_sum = log_sum_exp(logits);
    out.top = top_logprobs(logits, params_.n_top_logprobs, log_sum);
  }

  out.token = params_.temperature == 0.0f ? argmax(logits) : sample_from_distribution(logits);

  if (params_.logprobs) {
    out.logprob = static_cast<float>(static_cast<double>(logits[out.token]) - log_sum);
  }
  // An end-of-generation token is not part of the language: the matcher refuses it and stays
  // where it is, which is where the request ends.
  if (matcher_) (void)matcher_->accept_token(out.token);
  return out;
}

int32_t Sampler::sample_from_distribution(std::span<const float> logits) {
  // Drawn before anything can return early, so that every non-greedy step advances the stream
  // by exactly one number.
  const double uniform = next_uniform();

  collect_candidates(logits);
  if (candidates_.empty()) return argmax(logits);
  apply_temperature_softmax();
  keep_min_p();
  keep_top_p();
  return draw(uniform);
}

void Sampler::collect_candidates(std::span<const float> logits) {
  candidates_.clear();
  const auto top_k = static_cast<size_t>(params_.top_k);
  if (top_k > 0 && top_k < logits.size()) {
    // Selecting straight from the row avoids building and partitioning a vocabulary-sized list.
    for (int32_t token : best_tokens(logits, top_k)) {
      if (logits[token] > kNegativeInfinity) candidates_.push_back({token, logits[token], 0.0f});
    }
    candidates_sorted_ = true;
    return;
  }
  for (int32_t token = 0; token < static_cast<int32_t>(logits.size()); ++token) {
    // Banned (-inf) and NaN logits can never be drawn.
    if (logits[token] > kNegativeInfinity) candidates_.push_back({token, logits[token], 0.0f});
  }
  candidates_sorted_ = false;
}

void Sampler::apply_temperature_softmax() {
  float max_logit = kNegativeInfinity;
  for (Candidate& c : candidates_) {
    if (params_.temperature != 1.0f) c.logit /= params_.temperature;
    max_logit = std::max(max_logit, c.logit);
  }
  // Left unnormalised (the best token weighs 1): every later stage only needs ratios, and
  // skipping a division over 128k entries per step is worth it.
  for (Candidate& c : candidates_) c.weight = std::exp(c.logit - max_logit);
}

double Sampler::total_weight() const {
  double total = 0.0;
  for (const Candidate& c : candidates_) total += c.weight;
  return total;
}

void Sampler::keep_min_p() {
  if (params_.min_p <= 0.0f) return;
  float max_weight = 0.0f;
  for (const Candidate& c : candidates_) max_weight = std::max(max_weight, c.weight);
  const float threshold = params_.min_p * max_weight;
  // Stable removal keeps the canonical order (id order, or best first).
  std::erase_if(candidates_, [&](const Candidate& c) { return c.weight < threshold; });
}

void Sampler::keep_top_p() {
  if (params_.top_p >= 1.0f) return;
  const double target = static_cast<double>(params_.top_p) * total_weight();
  if (candidates_sorted_) {
    double cumulative = 0.0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      cumulative += candidates_[i].weight;
      if (cumulative >= target) {
        candidates_.resize(i + 1);
        return;
      }
    }
    return;
  }

  // Candidates are in id order, and sorting a 128k vocabulary would dominate the step. Instead
  // bucket them by logit (a monotone map, so buckets are ranked like their tokens), find the
  // bucket where the best-first cumulative mass reaches target, and sort only that bucket to
  // find the boundary token. Filtering by the boundary keeps the survivors in id order.
  float min_logit = candidates_.front().logit;
  float max_logit = min_logit;
  for (const Candidate& c : candidates_) {
    min_logit = std::min(min_logit, c.logit);
    max_logit = std::max(max_logit, c.logit);
  }
  const size_t n_buckets =
      std::clamp<size_t>(candidates_.size() / kTokensPerTopPBucket, 1, kMaxTopPBuckets);
  const float range = max_logit - min_logit;
  const float scale =
      range > 0.0f ? static_cast<float>(n_buckets - 1) / range : 0.0f;  // bucket 0 = best
  auto bucket_of = [&](const Candidate& c) {
    return std::min(static_cast<size_t>((max_logit - c.logit) * scale), n_buckets - 1);
  };

  bucket_mass_.assign(n_buckets, 0.0);
  for (const Candidate& c : candidates_) bucket_mass_[bucket_of(c)] += c.weight;
  double mass_above = 0.0;
  size_t boundary_bucket = 0;
  while (boundary_bucket < n_buckets &&
         mass_above + bucket_mass_[boundary_bucket] < target) {
    mass_above += bucket_mass_[boundary_bucket++];
  }
  // Rounding kept the total short of target: everything stays.
  if (boundary_bucket == n_buckets) return;

  ranked_.clear();
  for (const Candidate& c : candidates_) {
    if (bucket_of(c) == boundary_bucket) ranked_.push_back(c);
  }
  std::sort(ranked_.begin(), ranked_.end(), [](const Candidate& a, const Candidate& b) {
    return ranks_before(a.logit, a.token, b.logit, b.token);
  });
  Candidate last_kept = ranked_.back();
  for (const Candidate& c : ranked_) {
    mass_above += c.weight;
    if (mass_above >= target) {
      last_kept = c;
      break;
    }
  }
  std::erase_if(candidates_, [&](const Candidate& c) {
    return ranks_before(last_kept.logit, last_kept.token, c.logit, c.token);
  });
}

int32_t Sampler::draw(double uniform) const {
  const double target = uniform * total_weight();
  double cumulative = 0.0;
  for (const Candidate& c : candidates_) {
    cumulative += c.weight;
    if (target < cumulative) return c.token;
  }
  // Rounding can leave target a hair above the last partial sum.
  return candidates_.back().token;
}

double Sampler::next_uniform() {
  // The top 53 bits of one 64-bit draw, scaled to [0, 1): exact in a double and the same on
  // every standard library (std::uniform_real_distribution is not specified bit for bit).
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

}  // namespace tachyon
