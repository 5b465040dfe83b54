#pragma once
// Multi-head attention with grouped-query heads over one sequence's KV cache rows: causal (a
// token sees positions up to its own) or not (an encoder's token sees the whole sequence), with
// the variants the supported architectures need: a sliding window, a query scale other than
// 1/sqrt(head_dim), tanh soft-capping of the scores (Gemma 2) and ALiBi position biases (MPT).
#include <cstdint>
#include <span>
#include <vector>

#include "kv/kv_cache.h"
#include "model/batch.h"
#include "util/thread_pool.h"

namespace tachyon {

struct AttentionParams {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t sliding_window = 0;  // 0: every visible position; else only positions > pos - window
  float scale = 0.0f;          // score = scale * q·k; 0 means 1 / sqrt(head_dim)
  float softcap = 0.0f;        // 0: none; else score = softcap * tanh(score / softcap)
  // ALiBi: empty, or one slope per query head (n_head); score += slope * -|pos_k - pos_q|.
  std::span<const float> alibi_slopes = {};
};

// ALiBi slopes for n_head heads with the given maximum bias: 2^(-max_bias * (h + 1) / n) for the
// first n = 2^floor(log2(n_head)) heads, then the odd steps of the half-way series.
std::vector<float> alibi_slopes(int64_t n_head, float max_bias);

// For each query head h of the group that shares KV head `kv_head` (n_head / n_head_kv heads,
// consecutive in q and out, head_dim floats each):
//   out_h = softmax(score(q_h, K[p])) · V[p] over the visible positions p of seq_id: those up to
// `last` (pos for a causal model; the sequence's last position for an encoder) and inside the
// sliding window of the query's own position pos. Each K and V row is read once for the whole
// group. scratch is resized as needed (one per thread). Every head's arithmetic is its own and
// positions are visited in ascending order, so the result never depends on the batch or on the
// grouping.
void attend_kv_group(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int32_t last, int64_t kv_head, const float* q, float* out, std::vector<float>& scratch);

// attn (T, H, d) for every token of the batch on one layer, in parallel over (token, KV head):
// q (T, H, d) against the cache rows of the token's own sequence. last_positions: empty for a
// causal model, else (T) the last visible position of each token's sequence.
void attend_batch(const AttentionParams& p, const Batch& batch, KvCache& kv, int64_t layer, const float* q,
                  float* attn, ThreadPool& pool, std::span<const int32_t> last_positions = {});

}  // namespace tachyon
