#pragma once
// The inner loops of grouped-query attention over one KV head: the n_q query heads that share
// a K or V row take it together, so each row is loaded (and widened from f16) once per group,
// not once per head. Dispatched once on active_isa(); the scalar twins compute the same
// formulas in the same order (std::fma where the SIMD kernels fuse), so every level gives
// bit-identical results. Every head's arithmetic is its own: a head's result never depends
// on n_q or on which heads share the call. Pure functions, safe from any thread.
//
// Shared layout: q holds the group's heads back to back (q[h * d + j], h < n_q, j < d), as do
// out; score and weight rows are per head (w[h * w_stride + r] for row r of a call).
//
// K and V rows come as f32, f16 or Q8_0 (d a multiple of 32; a head's row is d / 32 blocks).
// Every element is widened exactly first (a Q8_0 element is its block's scale times its int8,
// a product a float holds exactly), then the arithmetic is the same for all three.
#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/isa.h"

namespace tachyon {

// scores[h * scores_stride + r] = scale * dot(q_h, k_rows[r]) for r < n_rows; each dot sums
// j in 8 lanes (j mod 8, ascending, fused) reduced as ((0+1)+(2+3))+((4+5)+(6+7)), then the
// d mod 8 trailing terms in order.
void group_scores(const float* q, int64_t n_q, int64_t d, const uint16_t* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride);
void group_scores(const float* q, int64_t n_q, int64_t d, const float* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride);
void group_scores(const float* q, int64_t n_q, int64_t d, const BlockQ8_0* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride);
// x[i] = exp(x[i] - max) / sum in place, n >= 1; the sum runs in 8 lanes (i mod 8, ascending)
// reduced like group_scores. exp is ours (see AttentionRowOps::exp), not the C library's.
void softmax_row(float* x, int64_t n);
// out[h * d + j] += w[h * w_stride + r] * v_rows[r][j], one fused multiply-add per term, r
// ascending (so splitting the rows over several calls changes nothing).
void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const uint16_t* const* v_rows,
                        int64_t n_rows, float* out);
void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const float* const* v_rows,
                        int64_t n_rows, float* out);
void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const BlockQ8_0* const* v_rows,
                        int64_t n_rows, float* out);

// y[i] = exp(x[i]) with the kernel softmax_row uses (AttentionRowOps::exp); also the exp of
// silu_mul. y may alias x.
void exp_row(const float* x, float* y, int64_t n);

struct AttentionRowOps {
  void (*scores_f16)(const float* q, int64_t n_q, int64_t d, const uint16_t* const* k_rows, int64_t n_rows,
                     float scale, float* scores, int64_t scores_stride);
  void (*scores_f32)(const float* q, int64_t n_q, int64_t d, const float* const* k_rows, int64_t n_rows,
                     float scale, float* scores, int64_t scores_stride);
  void (*softmax)(float* x, int64_t n);
  // y[i] = exp(x[i]) within 1 ulp of the correctly rounded value: 0 below about -103.97
  // (subnormals near it), inf above about 88.72, NaN for NaN. The kernel softmax uses.
  void (*exp)(const float* x, float* y, int64_t n);
  void (*weighted_sum_f16)(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const uint16_t* const* v_rows,
                           int64_t n_rows, float* out);
  void (*weighted_sum_f32)(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const float* const* v_rows,
                           int64_t n_rows, float* out);
  void (*scores_q8_0)(const float* q, int64_t n_q, int64_t d, const BlockQ8_0* const* k_rows, int64_t n_rows,
                      float scale, float* scores, int64_t scores_stride);
  void (*weighted_sum_q8_0)(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const BlockQ8_0* const* v_rows,
                            int64_t n_rows, float* out);
};
// The kernels of one level (for tests); a level this CPU lacks is clamped to detect_isa().
AttentionRowOps attention_row_ops(Isa isa);

// Per-level tables, defined in ref/ and x86/.
AttentionRowOps attention_row_ops_scalar();
AttentionRowOps attention_row_ops_avx2();
// The AVX-512 level: `avx2` with its scores and weighted sums replaced by 512-bit kernels.
AttentionRowOps attention_row_ops_avx512(AttentionRowOps avx2);

}  // namespace tachyon
