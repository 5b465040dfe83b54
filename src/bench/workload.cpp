#include "bench/workload.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tachyon::bench {
namespace {

// Frequent English words: each is a single token in the common LLaMA, GPT-2 and Mistral
// vocabularies when preceded by a space, so word count approximates token count everywhere.
constexpr std::array<std::string_view, 96> kWords = {
    "the",   "of",    "and",   "to",    "in",    "is",    "that",  "for",   "it",    "as",    "was",   "with",
    "be",    "by",    "on",    "not",   "he",    "this",  "are",   "or",    "his",   "from",  "at",    "which",
    "but",   "have",  "an",    "had",   "they",  "you",   "were",  "their", "one",   "all",   "we",    "can",
    "her",   "has",   "there", "been",  "if",    "more",  "when",  "will",  "would", "who",   "so",    "no",
    "time",  "people", "year", "way",   "day",   "man",   "thing", "world", "life",  "hand",  "part",  "child",
    "eye",   "woman", "place", "work",  "week",  "case",  "point", "number", "group", "problem", "fact", "good",
    "new",   "first", "last",  "long",  "great", "little", "own",  "other", "old",   "right", "big",   "high",
    "small", "large", "next",  "early", "young", "city",  "water", "house", "school", "story", "light", "game",
};

int32_t word_count(std::string_view text) {
  int32_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace

std::vector<LengthPair> sample_lengths(const LengthDistribution& dist, int32_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Lognormal with mean m: mu = ln(m) - sigma^2 / 2.
  auto make = [&](double mean) {
    const double m = std::max(1.0, mean * dist.length_scale);
    return std::lognormal_distribution<double>(std::log(m) - dist.sigma * dist.sigma / 2, dist.sigma);
  };
  auto prompt_dist = make(dist.mean_prompt_tokens);
  auto output_dist = make(dist.mean_output_tokens);
  const double budget = std::max(2, dist.max_context - dist.template_overhead);
  std::vector<LengthPair> out;
  out.reserve(size_t(std::max(n, 0)));
  for (int32_t i = 0; i < n; ++i) {
    double p = std::max(1.0, std::round(prompt_dist(rng)));
    double o = std::max(1.0, std::round(output_dist(rng)));
    if (p + o > budget) {
      const double f = budget / (p + o);
      p = std::max(1.0, std::floor(p * f));
      o = std::max(1.0, std::floor(o * f));
      if (p + o > budget) p = budget - o;  // only when rounding up to 1 overshot
    }
    out.push_back({int32_t(p), int32_t(o)});
  }
  return out;
}

std::string make_prompt_text(int32_t n_words, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, kWords.size() - 1);
  std::string text;
  text.reserve(size_t(std::max(n_words, 0)) * 6);
  for (int32_t i = 0; i < n_words; ++i) {
    if (i) text += ' ';
    text += kWords[pick(rng)];
  }
  return text;
}

std::vector<RequestSpec> synthetic_requests(const LengthDistribution& dist, int32_t n, uint64_t seed) {
  const auto lengths = sample_lengths(dist, n, seed);
  std::vector<RequestSpec> out;
  out.reserve(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    const uint64_t text_seed = seed * 1000003u + i + 1;
    out.push_back({make_prompt_text(lengths[i].prompt_tokens, text_seed), lengths[i].prompt_tokens,
                   lengths[i].output_tokens});
  }
  return out;
}

Result<std::vector<RequestSpec>> load_dataset(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot open dataset {}", path);
  std::vector<RequestSpec> out;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error("{}:{}: not a JSON object", path, line_no);
    const auto prompt = j.find("prompt");
    const auto output = j.find("output_tokens");
    if (prompt == j.end() || !prompt->is_string())
      return make_error("{}:{}: \"prompt\" must be a string", path, line_no);
    if (output == j.end() || !output->is_number_integer() || output->get<int64_t>() < 1)
      return make_error("{}:{}: \"output_tokens\" must be a positive integer", path, line_no);
    const std::string text = prompt->get<std::string>();
    out.push_back({text, word_count(text), int32_t(std::min<int64_t>(output->get<int64_t>(), INT32_MAX))});
  }
  if (out.empty()) return make_error("dataset {} has no requests", path);
  return out;
}

std::vector<double> poisson_arrivals(double rate, int32_t max_count, double max_duration_s, uint64_t seed) {
  std::vector<double> out;
  if (rate <= 0 || (max_count <= 0 && max_duration_s <= 0)) return out;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate);
  double t = 0;
  while (max_count <= 0 || int32_t(out.size()) < max_count) {
    t += gap(rng);
    if (max_duration_s > 0 && t > max_duration_s) break;
    out.push_back(t);
  }
  return out;
}

}  // namespace tachyon::bench
