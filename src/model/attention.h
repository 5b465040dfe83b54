#pragma once
// Causal multi-head attention with grouped-query heads over one sequence's KV cache rows.
#include <cstdint>
#include <vector>

#include "kv/kv_cache.h"

namespace tachyon {

struct AttentionParams {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t sliding_window = 0;  // 0: attend to every earlier position
};

// out (head_dim) = softmax(q·K[p] / sqrt(head_dim)) · V[p] over the visible positions p <= pos of
// seq_id, for query head `head` of one token. scratch is resized as needed (one per thread).
// Positions are visited in ascending order, so the result never depends on the batch.
void attend_one_head(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int64_t head, const float* q, float* out, std::vector<float>& scratch);

}  // namespace tachyon
