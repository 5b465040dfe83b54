#include "constrain/grammar_matcher.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace tachyon {

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar,
                               std::shared_ptr<const TokenVocabulary> vocabulary)
    : GrammarMatcher(std::make_shared<MaskCache>(std::move(grammar), std::move(vocabulary))) {}

GrammarMatcher::GrammarMatcher(std::shared_ptr<MaskCache> cache)
    : cache_(std::move(cache)), state_(cache_->initial_state()) {}

void GrammarMatcher::mask_logits(std::span<float> logits) {
  constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
  const size_t n_vocab = cache_->vocabulary().size();
  const size_t n = logits.size();
  if (finished_) {
    // Only end-of-generation tokens, as after must_stop().
    std::vector<float> keep;
    for (int32_t id : cache_->vocabulary().eog_ids()) {
      if (static_cast<size_t>(id) < n) keep.push_back(logits[id]);
    }
    std::fill(logits.begin(), logits.end(), kMinusInf);
    size_t k = 0;
    for (int32_t id : cache_->vocabulary().eog_ids()) {
      if (static_cast<size_t>(id) < n) logits[id] = keep[k++];
    }
    return;
  }
  const auto mask = cache_->mask(state_);
  const uint64_t* words = mask->data();
  float* out = logits.data();
  const size_t n_masked = std::min(n, n_vocab);
  const size_t n_words = (n_masked + 63) / 64;
  for (size_t w = 0; w < n_words; ++w) {
    uint64_t rejected = ~words[w];
    if (rejected == 0) continue;
    const size_t base = w * 64;
    if (rejected == ~uint64_t{0} && base + 64 <= n_masked) {
      std::fill(out + base, out + base + 64, kMinusInf);
      continue;
    }
    while (rejected != 0) {
      const size_t id = base + static_cast<size_t>(std::countr_zero(rejected));
      if (id >= n_masked) break;
      out[id] = kMinusInf;
      rejected &= rejected - 1;
    }
  }
  if (n > n_vocab) std::fill(out + n_vocab, out + n, kMinusInf);
}

void GrammarMatcher::fill_next_token_bitmask(std::span<uint64_t> words) {
  std::fill(words.begin(), words.end(), 0);
  if (finished_) {
    for (int32_t id : cache_->vocabulary().eog_ids()) words[id >> 6] |= uint64_t{1} << (id & 63);
    return;
  }
  const auto mask = cache_->mask(state_);
  std::copy_n(mask->begin(), std::min(mask->size(), words.size()), words.begin());
}

bool GrammarMatcher::is_allowed(int32_t id) {
  const TokenVocabulary& vocab = cache_->vocabulary();
  if (id < 0 || static_cast<size_t>(id) >= vocab.size()) return false;
  if (vocab.is_eog(id)) return is_complete();
  const std::string& bytes = vocab.token_bytes(id);
  if (finished_ || bytes.empty() || bytes.size() > TokenVocabulary::kMaxTokenBytes) return false;
  MaskCache::StateId state = state_;
  for (char c : bytes) {
    state = cache_->step(state, static_cast<uint8_t>(c));
    if (state == MaskCache::kDead) return false;
  }
  return true;
}

bool GrammarMatcher::accept_token(int32_t id) {
  const TokenVocabulary& vocab = cache_->vocabulary();
  if (id < 0 || static_cast<size_t>(id) >= vocab.size() || finished_) return false;
  if (vocab.is_eog(id)) {
    if (!is_complete()) return false;
    finished_ = true;
    return true;
  }
  const std::string& bytes = vocab.token_bytes(id);
  if (bytes.empty() || bytes.size() > TokenVocabulary::kMaxTokenBytes) return false;
  return accept_bytes(bytes);
}

bool GrammarMatcher::accept_bytes(std::string_view bytes) {
  if (finished_) return bytes.empty();
  MaskCache::StateId state = state_;
  for (char c : bytes) {
    state = cache_->step(state, static_cast<uint8_t>(c));
    if (state == MaskCache::kDead) return false;
  }
  state_ = state;
  return true;
}

bool GrammarMatcher::is_complete() const { return finished_ || cache_->is_complete(state_); }

bool GrammarMatcher::must_stop() const { return finished_ || cache_->is_final(state_); }

void GrammarMatcher::reset() {
  state_ = cache_->initial_state();
  finished_ = false;
}

}  // namespace tachyon
