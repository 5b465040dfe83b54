#pragma once
// The KV block pool's bookkeeping: which fixed-size blocks of token positions each sequence
// holds, and a prefix cache of full blocks keyed by their content, so requests that share a
// prompt prefix share its blocks instead of recomputing them. Owns block ids only; the tensor
// memory lives in PagedKvCache. Not thread-safe: the engine thread owns it.
#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

namespace tachyon {

using BlockId = int32_t;

struct KvBlockStats {
  int32_t n_blocks = 0;
  int32_t n_free = 0;             // held by nobody and caching nothing
  int32_t n_cached = 0;           // full blocks held only by the prefix cache, reusable
  // Prompt tokens looked up in the prefix cache, and of those found; a lookup counts once its
  // sequence gets its blocks, so a request retried while the pool is full counts once.
  uint64_t prefix_queries = 0;
  uint64_t prefix_hits = 0;
};

// Block tables and the prefix cache over a pool of n_blocks blocks of block_size positions.
class KvBlockManager {
 public:
  KvBlockManager(int32_t n_blocks, int32_t block_size, bool prefix_caching);

  // Positions per block, and blocks in the pool.
  int32_t block_size() const { return block_size_; }
  int32_t n_blocks() const { return int32_t(blocks_.size()); }

  // For a sequence that holds no blocks: shares the longest run of leading full blocks of tokens
  // found in the prefix cache and returns how many leading tokens are therefore already computed,
  // capped so that at least one token is left to compute (its logits are needed).
  int32_t match_prefix(int32_t seq_id, std::span<const int32_t> tokens);
  // Makes seq_id hold positions [0, n_tokens), taking free blocks first, then evicting the least
  // recently released cached blocks. false, with nothing changed, when the pool is too small.
  bool allocate(int32_t seq_id, int32_t n_tokens);
  // Blocks allocate(seq_id, n_tokens) would take from the pool.
  int32_t blocks_needed(int32_t seq_id, int32_t n_tokens) const;
  // Registers the sequence's full blocks in the prefix cache; tokens are the sequence's tokens
  // whose K/V rows have been written (a block is shared only once its rows are final).
  void commit(int32_t seq_id, std::span<const int32_t> tokens);
  // Releases every block of the sequence; cached ones stay reusable until evicted.
  void free(int32_t seq_id);

  // The sequence's blocks in position order (empty for an unknown sequence).
  const std::vector<BlockId>& block_table(int32_t seq_id) const;
  KvBlockStats stats() const;
  // Fraction of blocks referenced by live sequences.
  double usage() const;

 private:
  static constexpr uint64_t kChainSeed = 0x9e3779b97f4a7c15ull;  // parent hash of a first block

  struct Block {
    int32_t ref_count = 0;
    bool cached = false;             // registered in hash_to_block_ (full, rows final)
    uint64_t hash = 0;               // chained content hash when cached
    uint64_t parent_hash = 0;        // hash of the previous block of the chain
    std::list<BlockId>::iterator lru_pos;  // valid while cached and unreferenced
  };
  struct Sequence {
    std::vector<BlockId> blocks;
    int32_t n_committed = 0;         // leading blocks already hashed
    uint64_t chain_hash = kChainSeed;  // hash of block n_committed - 1
    uint64_t n_queried = 0;            // match_prefix's tokens, counted on allocate
    uint64_t n_hit = 0;
  };

  Sequence& sequence(int32_t seq_id);
  std::span<const int32_t> block_tokens(BlockId id) const;
  uint64_t chain(uint64_t parent, std::span<const int32_t> tokens) const;
  // The cached block holding exactly these tokens after this parent, or -1.
  BlockId lookup(uint64_t hash, uint64_t parent, std::span<const int32_t> tokens) const;
  BlockId take_block();
  int32_t n_available() const { return int32_t(free_blocks_.size() + lru_.size()); }

  int32_t block_size_;
  bool prefix_caching_;
  std::vector<Block> blocks_;
  std::vector<int32_t> tokens_;               // (n_blocks, block_size): content of cached blocks
  std::vector<BlockId> free_blocks_;          // unreferenced, caching nothing
  std::list<BlockId> lru_;                    // unreferenced cached blocks, least recent first
  std::unordered_map<uint64_t, BlockId> hash_to_block_;
  std::vector<Sequence> sequences_;           // indexed by seq_id, grown on demand
  uint64_t prefix_queries_ = 0;
  uint64_t prefix_hits_ = 0;
};

}  // namespace tachyon
