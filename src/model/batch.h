#pragma once
// One forward-pass batch: tokens from any number of sequences, each at its own position. This is
// the interface continuous batching drives: the scheduler decides what goes in, the model runs it.
#include <cstdint>
#include <vector>

namespace tachyon {

struct Batch {
  std::vector<int32_t> tokens;     // (n_tokens)
  std::vector<int32_t> positions;  // (n_tokens) position of each token within its sequence
  std::vector<int32_t> seq_ids;    // (n_tokens)
  std::vector<bool> want_logits;   // (n_tokens) rows for which logits are returned, in batch order

  void add(int32_t token, int32_t position, int32_t seq_id, bool logits) {
    tokens.push_back(token);
    positions.push_back(position);
    seq_ids.push_back(seq_id);
    want_logits.push_back(logits);
  }
  size_t size() const { return tokens.size(); }
  void clear() { *this = Batch{}; }
};

}  // namespace tachyon
