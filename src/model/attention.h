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

// For each query head h of the group that shares KV head `kv_head` (n_head / n_head_kv heads,
// consecutive in q and out, head_dim floats each):
//   out_h = softmax(q_h·K[p] / sqrt(head_dim)) · V[p] over the visible positions p <= pos of seq_id,
// for one token. Each K and V row is read once for the whole group. scratch is resized as
// needed (one per thread). Every head's arithmetic is its own and positions are visited in
// ascending order, so the result never depends on the batch or on the grouping.
void attend_kv_group(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int64_t kv_head, const float* q, float* out, std::vector<float>& scratch);

}  // namespace tachyon
