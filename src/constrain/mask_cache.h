#pragma once
// MaskCache: the automaton that matches one Grammar, built lazily, and the token mask of each of
// its states for one TokenVocabulary.
//
// A matcher state is the set of parse stacks that are still alive (a pushdown automaton run on
// all alternatives at once). Stacks are interned as persistent linked lists (position, parent),
// and each distinct set of stacks becomes one numbered state; the transition (state, byte) is
// computed once and remembered, so after warm-up a byte costs one table load. A state's mask
// (which tokens may come next) is computed by walking the vocabulary's trie from the state,
// skipping every subtree whose prefix is already rejected, and is then remembered too. Inside
// strings, where every plain ASCII byte loops back to the same state, the tokens made only of
// such bytes are allowed at once and only the rest of the vocabulary is walked.
//
// Masks are pure functions of the set of stacks, never of the order states were discovered, so
// requests sharing a cache see exactly the masks they would see alone. All methods lock one
// mutex: any number of matchers on any threads may share a cache. State ids are stable for the
// cache's life; the cache only grows, apart from masks, which are dropped all at once when they
// pass a memory budget and recomputed on demand.
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "constrain/grammar.h"
#include "constrain/token_vocabulary.h"

namespace tachyon {

// One bit per token id: bit (id % 64) of word (id / 64).
using TokenBitmask = std::vector<uint64_t>;

class MaskCache {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = -1;

  // cache_masks = false recomputes every mask (for tests: masks must not depend on the cache).
  MaskCache(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocabulary,
            bool cache_masks = true);

  const Grammar& grammar() const { return *grammar_; }
  const TokenVocabulary& vocabulary() const { return *vocabulary_; }

  // The state before any byte.
  StateId initial_state() const { return initial_state_; }
  // The state after one more byte, or kDead when the byte leaves the language.
  StateId step(StateId state, uint8_t byte);
  // The bytes so far form a complete sentence.
  bool is_complete(StateId state);
  // Complete, and no further byte is possible.
  bool is_final(StateId state);
  // Which tokens may follow: those whose bytes keep the output a prefix of some sentence, and
  // the end-of-generation tokens when the output is already complete.
  std::shared_ptr<const TokenBitmask> mask(StateId state);

  // Memory held by states, transitions and masks, for callers that rotate caches.
  size_t memory_bytes();
  size_t n_states();

 private:
  struct StackNode {
    uint32_t pos = 0;     // a byte element on top of the stack, or a return position below it
    uint32_t parent = 0;  // 0 = the empty stack
  };
  struct State {
    std::vector<uint32_t> stacks;  // sorted stack ids; id 0 (first) = the sentence is complete
    std::shared_ptr<const TokenBitmask> mask;
    int8_t plain_loop = -1;  // every plain byte leads back here (1), not (0), unknown (-1)
  };
  struct StacksHash {
    size_t operator()(const std::vector<uint32_t>& stacks) const;
  };
  static constexpr StateId kUnknown = -2;

  uint32_t intern_stack(uint32_t pos, uint32_t parent);
  // Adds the stacks reachable from (pos, parent) without consuming a byte, each with a byte
  // element on top, to out (id 0 for the empty stack). An explicit worklist: no recursion.
  void expand(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out);
  StateId intern_state(std::vector<uint32_t>& stacks);
  StateId step_locked(StateId state, uint8_t byte);
  std::shared_ptr<const TokenBitmask> compute_mask(StateId state);
  bool loops_on_plain_bytes(StateId state);

  const std::shared_ptr<const Grammar> grammar_;
  const std::shared_ptr<const TokenVocabulary> vocabulary_;
  const bool cache_masks_;

  std::mutex mutex_;
  std::vector<StackNode> stack_nodes_;
  std::unordered_map<uint64_t, uint32_t> stack_ids_;
  std::vector<State> states_;
  std::unordered_map<std::vector<uint32_t>, StateId, StacksHash> state_ids_;
  std::vector<StateId> transitions_;  // states_.size() * 256
  size_t mask_bytes_ = 0;
  StateId initial_state_ = kDead;

  // Scratch, reused under the lock.
  std::vector<std::pair<uint32_t, uint32_t>> work_;
  std::unordered_set<uint64_t> visited_;
  std::vector<uint32_t> next_stacks_;
  std::vector<StateId> state_at_depth_;
};

}  // namespace tachyon
