#include "kv/kv_block_manager.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace tachyon {

namespace {

// splitmix64's finalizer: a cheap mix whose output bits all depend on every input bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

const std::vector<BlockId> kNoBlocks;

}  // namespace

KvBlockManager::KvBlockManager(int32_t n_blocks, int32_t block_size, bool prefix_caching)
    : block_size_(block_size), prefix_caching_(prefix_caching), blocks_(size_t(n_blocks)),
      tokens_(prefix_caching ? size_t(n_blocks) * size_t(block_size) : 0) {
  assert(n_blocks > 0 && block_size > 0);
  // Handed out from the back, so low ids go first: block tables read in order in tests and dumps.
  free_blocks_.reserve(size_t(n_blocks));
  for (BlockId id = n_blocks - 1; id >= 0; --id) free_blocks_.push_back(id);
}

KvBlockManager::Sequence& KvBlockManager::sequence(int32_t seq_id) {
  assert(seq_id >= 0);
  if (size_t(seq_id) >= sequences_.size()) sequences_.resize(size_t(seq_id) + 1);
  return sequences_[size_t(seq_id)];
}

std::span<const int32_t> KvBlockManager::block_tokens(BlockId id) const {
  return {tokens_.data() + size_t(id) * size_t(block_size_), size_t(block_size_)};
}

uint64_t KvBlockManager::chain(uint64_t parent, std::span<const int32_t> tokens) const {
  uint64_t h = mix(parent);
  for (int32_t t : tokens) h = mix(h ^ (uint64_t(uint32_t(t)) + 0x2545f4914f6cdd1dull));
  return h;
}

BlockId KvBlockManager::lookup(uint64_t hash, uint64_t parent, std::span<const int32_t> tokens) const {
  const auto it = hash_to_block_.find(hash);
  if (it == hash_to_block_.end()) return -1;
  // The hash only finds the candidate; parent and content decide, so a collision cannot hand
  // out another prompt's rows.
  const Block& block = blocks_[size_t(it->second)];
  if (block.parent_hash != parent) return -1;
  if (!std::ranges::equal(block_tokens(it->second), tokens)) return -1;
  return it->second;
}

int32_t KvBlockManager::match_prefix(int32_t seq_id, std::span<const int32_t> tokens) {
  Sequence& seq = sequence(seq_id);
  assert(seq.blocks.empty());
  if (!prefix_caching_ || tokens.empty()) return 0;
  seq.n_queried = tokens.size();
  const size_t max_blocks = (tokens.size() - 1) / size_t(block_size_);
  for (size_t i = 0; i < max_blocks; ++i) {
    const auto block_tokens_i = tokens.subspan(i * size_t(block_size_), size_t(block_size_));
    const uint64_t hash = chain(seq.chain_hash, block_tokens_i);
    const BlockId id = lookup(hash, seq.chain_hash, block_tokens_i);
    if (id < 0) break;
    Block& block = blocks_[size_t(id)];
    if (block.ref_count++ == 0) lru_.erase(block.lru_pos);
    seq.blocks.push_back(id);
    seq.chain_hash = hash;
    ++seq.n_committed;
  }
  const int32_t n_hit = int32_t(seq.blocks.size()) * block_size_;
  seq.n_hit = uint64_t(n_hit);
  return n_hit;
}

int32_t KvBlockManager::blocks_needed(int32_t seq_id, int32_t n_tokens) const {
  const int32_t held = int32_t(block_table(seq_id).size());
  const int32_t wanted = (n_tokens + block_size_ - 1) / block_size_;
  return std::max(0, wanted - held);
}

BlockId KvBlockManager::take_block() {
  BlockId id;
  if (!free_blocks_.empty()) {
    id = free_blocks_.back();
    free_blocks_.pop_back();
  } else {
    id = lru_.front();
    lru_.pop_front();
    Block& evicted = blocks_[size_t(id)];
    hash_to_block_.erase(evicted.hash);
    evicted.cached = false;
  }
  blocks_[size_t(id)].ref_count = 1;
  return id;
}

bool KvBlockManager::allocate(int32_t seq_id, int32_t n_tokens) {
  const int32_t needed = blocks_needed(seq_id, n_tokens);
  if (needed > n_available()) return false;
  Sequence& seq = sequence(seq_id);
  for (int32_t i = 0; i < needed; ++i) seq.blocks.push_back(take_block());
  prefix_queries_ += std::exchange(seq.n_queried, 0);
  prefix_hits_ += std::exchange(seq.n_hit, 0);
  return true;
}

void KvBlockManager::commit(int32_t seq_id, std::span<const int32_t> tokens) {
  if (!prefix_caching_) return;
  Sequence& seq = sequence(seq_id);
  const size_t n_full = std::min(tokens.size() / size_t(block_size_), seq.blocks.size());
  for (size_t i = size_t(seq.n_committed); i < n_full; ++i) {
    const auto content = tokens.subspan(i * size_t(block_size_), size_t(block_size_));
    const uint64_t parent = seq.chain_hash;
    const uint64_t hash = chain(parent, content);
    seq.chain_hash = hash;
    ++seq.n_committed;
    const BlockId id = seq.blocks[i];
    Block& block = blocks_[size_t(id)];
    // Another sequence may have computed the same content first (or the hash is taken by other
    // content); then this copy stays private and returns to the free list when released.
    if (block.cached || hash_to_block_.contains(hash)) continue;
    block.cached = true;
    block.hash = hash;
    block.parent_hash = parent;
    std::ranges::copy(content, tokens_.begin() + ptrdiff_t(size_t(id) * size_t(block_size_)));
    hash_to_block_.emplace(hash, id);
  }
}

void KvBlockManager::free(int32_t seq_id) {
  if (seq_id < 0 || size_t(seq_id) >= sequences_.size()) return;
  Sequence& seq = sequences_[size_t(seq_id)];
  // Released tail first, so a prompt's later blocks are evicted before its shared head.
  for (auto it = seq.blocks.rbegin(); it != seq.blocks.rend(); ++it) {
    Block& block = blocks_[size_t(*it)];
    assert(block.ref_count > 0);
    if (--block.ref_count > 0) continue;
    if (block.cached) block.lru_pos = lru_.insert(lru_.end(), *it);
    else free_blocks_.push_back(*it);
  }
  seq = Sequence{};
}

const std::vector<BlockId>& KvBlockManager::block_table(int32_t seq_id) const {
  if (seq_id < 0 || size_t(seq_id) >= sequences_.size()) return kNoBlocks;
  return sequences_[size_t(seq_id)].blocks;
}

KvBlockStats KvBlockManager::stats() const {
  KvBlockStats s;
  s.n_blocks = n_blocks();
  s.n_free = int32_t(free_blocks_.size());
  s.n_cached = int32_t(lru_.size());
  s.prefix_queries = prefix_queries_;
  s.prefix_hits = prefix_hits_;
  return s;
}

double KvBlockManager::usage() const {
  return double(n_blocks() - n_available()) / double(n_blocks());
}

}  // namespace tachyon
