#include "model/attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/attention_rows.h"

namespace tachyon {
namespace {

// Positions per kernel call: their row pointers are gathered once, on the stack.
constexpr int32_t kRowTile = 64;

// attend_kv_group for a cache of Elem rows (uint16_t halves or floats); w is (group, n).
template <typename Elem>
void attend_rows(KvCache& kv, int64_t layer, int32_t seq_id, int32_t first, int32_t n, size_t head_offset,
                 int64_t group, int64_t d, const float* q, float* out, float* w) {
  const Elem* rows[kRowTile];
  const auto head_row = [&](const uint8_t* row) { return reinterpret_cast<const Elem*>(row + head_offset); };
  // Scores, one row per head, then each row turned into softmax weights.
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int32_t i0 = 0; i0 < n; i0 += kRowTile) {
    const int32_t m = std::min(kRowTile, n - i0);
    for (int32_t r = 0; r < m; ++r) rows[r] = head_row(kv.k_row(layer, seq_id, first + i0 + r));
    group_scores(q, group, d, rows, m, scale, w + i0, n);
  }
  for (int64_t h = 0; h < group; ++h) softmax_row(w + h * n, n);
  // out (group, d) = weights · V, positions in ascending order across the tiles.
  std::fill(out, out + group * d, 0.0f);
  for (int32_t i0 = 0; i0 < n; i0 += kRowTile) {
    const int32_t m = std::min(kRowTile, n - i0);
    for (int32_t r = 0; r < m; ++r) rows[r] = head_row(kv.v_row(layer, seq_id, first + i0 + r));
    group_weighted_sum(w + i0, n, group, d, rows, m, out);
  }
}

}  // namespace

void attend_kv_group(const AttentionParams& p, KvCache& kv, int64_t layer, int32_t seq_id, int32_t pos,
                     int64_t kv_head, const float* q, float* out, std::vector<float>& scratch) {
  const KvDType dtype = kv.shape().dtype;
  const int64_t group = p.n_head / p.n_head_kv;
  const int64_t d = p.head_dim;
  const size_t head_offset = size_t(kv_head * d) * kv_dtype_size(dtype);
  const int32_t first = p.sliding_window > 0 ? std::max<int32_t>(0, pos - int32_t(p.sliding_window) + 1) : 0;
  const int32_t n = pos - first + 1;
  scratch.resize(size_t(group) * size_t(n));  // (group, n): scores, then softmax weights
  if (dtype == KvDType::F32) {
    attend_rows<float>(kv, layer, seq_id, first, n, head_offset, group, d, q, out, scratch.data());
  } else {
    attend_rows<uint16_t>(kv, layer, seq_id, first, n, head_offset, group, d, q, out, scratch.data());
  }
}

}  // namespace tachyon
