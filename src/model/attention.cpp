#include "model/attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"

namespace tachyon {

static_assert(kKvQ8Block == QK8_0 && kKvQ8BlockBytes == sizeof(BlockQ8_0), "kv_cache.h's Q8_0 rows are block_q8_0s");
namespace {

// Positions per kernel call: their row pointers are gathered once, on the stack.
constexpr int32_t kRowTile = 64;

// Soft-capping and ALiBi on the (group, n) score rows of query position pos, in place.
void adjust_scores(const AttentionParams& p, int64_t kv_head, int64_t group, int32_t first, int32_t n, int32_t pos,
                   float* w) {
  for (int64_t h = 0; h < group; ++h) {
    float* row = w + h * n;
    if (p.softcap > 0.0f)
      for (int32_t i = 0; i < n; ++i) row[i] = p.softcap * std::tanh(row[i] / p.softcap);
    if (!p.alibi_slopes.empty()) {
      const float slope = p.alibi_slopes[size_t(kv_head * group + h)];
      for (int32_t i = 0; i < n; ++i) row[i] += slope * -static_cast<float>(std::abs(first + i - pos));
    }
  }
}

// attend_kv_group for a cache of Elem rows (floats, uint16_t halves or Q8_0 blocks); w is (group, n).
template <typename Elem>
void attend_rows(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos, int32_t first,
                 int32_t n, int64_t kv_head, const float* q, float* out, float* w) {
  const int64_t group = p.n_head / p.n_head_kv;
  const int64_t d = p.head_dim;
  const size_t head_bytes = size_t(kv.shape().head_bytes());
  const size_t head_offset = size_t(kv_head) * head_bytes;
  const auto head_row = [&](const uint8_t* row) { return reinterpret_cast<const Elem*>(row + head_offset); };
  // Rows of consecutive positions lie a whole KV row (every head) apart, a stride the hardware
  // prefetchers do not follow well: the next tile's row pointers are gathered, and their cache
  // lines asked for, before the current tile is computed. A hint only: the arithmetic is the same.
  const Elem* rows[2][kRowTile];
  const auto gather = [&](bool values, int32_t i0, const Elem** dst) {
    const int32_t m = std::min(kRowTile, n - i0);
    for (int32_t r = 0; r < m; ++r) {
      const int32_t position = first + i0 + r;
      dst[r] = head_row(values ? kv.v_row(layer, seq_id, position) : kv.k_row(layer, seq_id, position));
      const char* bytes = reinterpret_cast<const char*>(dst[r]);
      for (size_t b = 0; b < head_bytes; b += 64) __builtin_prefetch(bytes + b);
    }
  };
  // Scores, one row per head, then each row turned into softmax weights.
  const float scale = p.scale > 0.0f ? p.scale : 1.0f / std::sqrt(static_cast<float>(d));
  gather(false, 0, rows[0]);
  for (int32_t i0 = 0, b = 0; i0 < n; i0 += kRowTile, b ^= 1) {
    if (i0 + kRowTile < n) gather(false, i0 + kRowTile, rows[b ^ 1]);
    group_scores(q, group, d, rows[b], std::min(kRowTile, n - i0), scale, w + i0, n);
  }
  gather(true, 0, rows[0]);
  if (p.softcap > 0.0f || !p.alibi_slopes.empty()) adjust_scores(p, kv_head, group, first, n, pos, w);
  for (int64_t h = 0; h < group; ++h) softmax_row(w + h * n, n);
  // out (group, d) = weights · V, positions in ascending order across the tiles.
  std::fill(out, out + group * d, 0.0f);
  for (int32_t i0 = 0, b = 0; i0 < n; i0 += kRowTile, b ^= 1) {
    if (i0 + kRowTile < n) gather(true, i0 + kRowTile, rows[b ^ 1]);
    group_weighted_sum(w + i0, n, group, d, rows[b], std::min(kRowTile, n - i0), out);
  }
}

}  // namespace

std::vector<float> alibi_slopes(int64_t n_head, float max_bias) {
  const int64_t n_floor = int64_t(1) << int64_t(std::floor(std::log2(static_cast<double>(n_head))));
  const float m0 = std::pow(2.0f, -max_bias / static_cast<float>(n_floor));
  const float m1 = std::pow(2.0f, -(max_bias / 2.0f) / static_cast<float>(n_floor));
  std::vector<float> slopes(static_cast<size_t>(n_head));
  for (int64_t h = 0; h < n_head; ++h)
    slopes[size_t(h)] = h < n_floor ? std::pow(m0, static_cast<float>(h + 1))
                                    : std::pow(m1, static_cast<float>(2 * (h - n_floor) + 1));
  return slopes;
}

void attend_kv_group(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int32_t last, int64_t kv_head, const float* q, float* out, std::vector<float>& scratch) {
  const int64_t group = p.n_head / p.n_head_kv;
  const int32_t first = p.sliding_window > 0 ? std::max<int32_t>(0, pos - int32_t(p.sliding_window) + 1) : 0;
  const int32_t n = last - first + 1;
  scratch.resize(size_t(group) * size_t(n));  // (group, n): scores, then softmax weights
  switch (kv.shape().dtype) {
    case KvDType::F32: attend_rows<float>(p, kv, layer, seq_id, pos, first, n, kv_head, q, out, scratch.data()); break;
    case KvDType::F16: attend_rows<uint16_t>(p, kv, layer, seq_id, pos, first, n, kv_head, q, out, scratch.data()); break;
    case KvDType::Q8_0: attend_rows<BlockQ8_0>(p, kv, layer, seq_id, pos, first, n, kv_head, q, out, scratch.data()); break;
  }
}

void attend_batch(const AttentionParams& p, const Batch& batch, KvCache& kv, int64_t layer, const float* q,
                  float* attn, ThreadPool& pool, std::span<const int32_t> last_positions) {
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t group = p.n_head / p.n_head_kv, q_dim = p.n_head * p.head_dim;
  std::vector<std::vector<float>> scratch(size_t(pool.size()));
  pool.parallel_for(T * p.n_head_kv, [&](int64_t begin, int64_t end, int thread) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t = i / p.n_head_kv, kv_head = i % p.n_head_kv;
      const int64_t offset = t * q_dim + kv_head * group * p.head_dim;
      const int32_t pos = batch.positions[t];
      const int32_t last = last_positions.empty() ? pos : last_positions[size_t(t)];
      attend_kv_group(p, kv, layer, batch.seq_ids[t], pos, last, kv_head, q + offset, attn + offset,
                      scratch[size_t(thread)]);
    }
  });
}

}  // namespace tachyon
