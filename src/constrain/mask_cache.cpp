#include "constrain/mask_cache.h"

#include <algorithm>

namespace tachyon {

namespace {
// Masks beyond this are dropped together and recomputed as needed.
constexpr size_t kMaskBudgetBytes = size_t{256} << 20;
}  // namespace

size_t MaskCache::StacksHash::operator()(const std::vector<uint32_t>& stacks) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ stacks.size();
  for (uint32_t s : stacks) h = (h ^ s) * 0x100000001B3ull + (h >> 29);
  return static_cast<size_t>(h);
}

MaskCache::MaskCache(std::shared_ptr<const Grammar> grammar,
                     std::shared_ptr<const TokenVocabulary> vocabulary, bool cache_masks)
    : grammar_(std::move(grammar)), vocabulary_(std::move(vocabulary)), cache_masks_(cache_masks) {
  stack_nodes_.push_back({});  // id 0: the empty stack
  state_at_depth_.resize(vocabulary_->max_token_bytes() + 1);
  std::vector<uint32_t> stacks;
  std::lock_guard lock(mutex_);
  for (uint32_t alt : grammar_->alternatives(grammar_->root_rule())) expand(alt, 0, stacks);
  initial_state_ = intern_state(stacks);
}

uint32_t MaskCache::intern_stack(uint32_t pos, uint32_t parent) {
  const uint64_t key = (uint64_t{pos} << 32) | parent;
  auto [it, inserted] = stack_ids_.try_emplace(key, static_cast<uint32_t>(stack_nodes_.size()));
  if (inserted) stack_nodes_.push_back({pos, parent});
  return it->second;
}

void MaskCache::expand(uint32_t start_pos, uint32_t start_parent, std::vector<uint32_t>& out) {
  const Grammar& g = *grammar_;
  work_.clear();
  visited_.clear();
  work_.push_back({start_pos, start_parent});
  while (!work_.empty()) {
    const auto [pos, parent] = work_.back();
    work_.pop_back();
    if (!visited_.insert((uint64_t{pos} << 32) | parent).second) continue;
    switch (g.kind_at(pos)) {
      case Grammar::Kind::Bytes:
        out.push_back(intern_stack(pos, parent));
        break;
      case Grammar::Kind::End:
        if (parent == 0) {
          out.push_back(0);
        } else {
          const StackNode up = stack_nodes_[parent];
          work_.push_back({up.pos, up.parent});
        }
        break;
      case Grammar::Kind::Ref: {
        // A reference last in its alternative returns straight to the caller's caller (a tail
        // call), so repetitions and chains of rules keep the stack flat.
        const uint32_t ret = g.kind_at(pos + 1) == Grammar::Kind::End ? parent : intern_stack(pos + 1, parent);
        for (uint32_t alt : g.alternatives(g.value_at(pos))) work_.push_back({alt, ret});
        break;
      }
    }
  }
}

MaskCache::StateId MaskCache::intern_state(std::vector<uint32_t>& stacks) {
  if (stacks.empty()) return kDead;
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto it = state_ids_.find(stacks);
  if (it != state_ids_.end()) return it->second;
  const auto id = static_cast<StateId>(states_.size());
  states_.push_back(State{stacks, nullptr, -1});
  state_ids_.emplace(stacks, id);
  transitions_.resize(transitions_.size() + 256, kUnknown);
  return id;
}

MaskCache::StateId MaskCache::step_locked(StateId state, uint8_t byte) {
  const size_t index = static_cast<size_t>(state) * 256 + byte;
  StateId next = transitions_[index];
  if (next != kUnknown) return next;
  const Grammar& g = *grammar_;
  std::vector<uint32_t> stacks;
  for (uint32_t stack : states_[state].stacks) {
    if (stack == 0) continue;
    const StackNode top = stack_nodes_[stack];
    if (byte_set_has(g.byte_set(g.value_at(top.pos)), byte)) expand(top.pos + 1, top.parent, stacks);
  }
  next = intern_state(stacks);
  transitions_[index] = next;
  return next;
}

MaskCache::StateId MaskCache::step(StateId state, uint8_t byte) {
  if (state < 0) return kDead;
  std::lock_guard lock(mutex_);
  return step_locked(state, byte);
}

bool MaskCache::is_complete(StateId state) {
  if (state < 0) return false;
  std::lock_guard lock(mutex_);
  return states_[state].stacks.front() == 0;
}

bool MaskCache::is_final(StateId state) {
  if (state < 0) return false;
  std::lock_guard lock(mutex_);
  const auto& stacks = states_[state].stacks;
  return stacks.size() == 1 && stacks.front() == 0;
}

std::shared_ptr<const TokenBitmask> MaskCache::mask(StateId state) {
  std::lock_guard lock(mutex_);
  if (state < 0) return std::make_shared<const TokenBitmask>((vocabulary_->size() + 63) / 64, 0);
  if (states_[state].mask) return states_[state].mask;
  auto mask = compute_mask(state);
  if (cache_masks_) {
    const size_t bytes = mask->size() * sizeof(uint64_t);
    if (mask_bytes_ + bytes > kMaskBudgetBytes) {
      for (State& s : states_) s.mask.reset();
      mask_bytes_ = 0;
    }
    states_[state].mask = mask;
    mask_bytes_ += bytes;
  }
  return mask;
}

std::shared_ptr<const TokenBitmask> MaskCache::compute_mask(StateId state) {
  const TokenVocabulary& vocab = *vocabulary_;
  auto mask = std::make_shared<TokenBitmask>((vocab.size() + 63) / 64, 0);
  uint64_t* bits = mask->data();
  if (states_[state].stacks.front() == 0) {
    for (int32_t id : vocab.eog_ids()) bits[id >> 6] |= uint64_t{1} << (id & 63);
  }
  // Inside a string (or free text), where every plain byte loops back to this state, the
  // plain-only tokens are all allowed at once and only the other tokens need walking.
  const bool plain_loop = loops_on_plain_bytes(state);
  if (plain_loop) {
    const uint64_t* plain = vocab.plain_tokens().data();
    for (size_t w = 0; w < mask->size(); ++w) bits[w] |= plain[w];
  }
  const TokenVocabulary::Trie& trie = plain_loop ? vocab.mixed_trie() : vocab.trie();

  // Preorder walk: a node's parent is the last node seen one level up, so the state at each
  // depth is all the walk needs; a rejected node skips its whole subtree.
  const TokenVocabulary::TrieNode* nodes = trie.nodes.data();
  const int32_t* token_ids = trie.token_ids.data();
  const size_t n_nodes = trie.n_nodes();
  StateId* at_depth = state_at_depth_.data();
  at_depth[0] = state;
  size_t i = 0;
  while (i < n_nodes) {
    const TokenVocabulary::TrieNode& node = nodes[i];
    const StateId from = at_depth[node.depth - 1];
    StateId next = transitions_[static_cast<size_t>(from) * 256 + node.byte];
    if (next == kUnknown) next = step_locked(from, node.byte);
    if (next == kDead) {
      i = node.subtree_end;
      continue;
    }
    at_depth[node.depth] = next;
    for (uint32_t k = node.tokens_begin, end = nodes[i + 1].tokens_begin; k < end; ++k) {
      bits[token_ids[k] >> 6] |= uint64_t{1} << (token_ids[k] & 63);
    }
    ++i;
  }
  return mask;
}

bool MaskCache::loops_on_plain_bytes(StateId state) {
  if (states_[state].plain_loop >= 0) return states_[state].plain_loop == 1;
  // Common bytes first: most states that are not inside a string fail on the first one.
  // (step_locked may add states, so no reference into states_ is held across it.)
  bool loops = true;
  for (uint8_t byte : {uint8_t{'a'}, uint8_t{' '}, uint8_t{'0'}}) {
    if (!(loops = step_locked(state, byte) == state)) break;
  }
  for (unsigned byte = 0x20; byte < 0x7F && loops; ++byte) {
    if (TokenVocabulary::is_plain_byte(static_cast<uint8_t>(byte))) {
      loops = step_locked(state, static_cast<uint8_t>(byte)) == state;
    }
  }
  states_[state].plain_loop = loops ? 1 : 0;
  return loops;
}

size_t MaskCache::memory_bytes() {
  std::lock_guard lock(mutex_);
  size_t bytes = mask_bytes_ + transitions_.size() * sizeof(StateId) +
                 stack_nodes_.size() * (sizeof(StackNode) + 32);
  for (const State& s : states_) bytes += sizeof(State) + 2 * s.stacks.size() * sizeof(uint32_t) + 32;
  return bytes;
}

size_t MaskCache::n_states() {
  std::lock_guard lock(mutex_);
  return states_.size();
}

}  // namespace tachyon
