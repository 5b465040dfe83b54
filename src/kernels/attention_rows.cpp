#include "kernels/attention_rows.h"

namespace tachyon {

AttentionRowOps attention_row_ops(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa == Isa::Avx512) return attention_row_ops_avx512(attention_row_ops_avx2());
  if (isa != Isa::Scalar) return attention_row_ops_avx2();
#endif
  return attention_row_ops_scalar();
}

namespace {
const AttentionRowOps& active_ops() {
  static const AttentionRowOps ops = attention_row_ops(active_isa());
  return ops;
}
}  // namespace

void group_scores(const float* q, int64_t n_q, int64_t d, const uint16_t* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride) {
  active_ops().scores_f16(q, n_q, d, k_rows, n_rows, scale, scores, scores_stride);
}

void group_scores(const float* q, int64_t n_q, int64_t d, const float* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride) {
  active_ops().scores_f32(q, n_q, d, k_rows, n_rows, scale, scores, scores_stride);
}

void group_scores(const float* q, int64_t n_q, int64_t d, const BlockQ8_0* const* k_rows, int64_t n_rows,
                  float scale, float* scores, int64_t scores_stride) {
  active_ops().scores_q8_0(q, n_q, d, k_rows, n_rows, scale, scores, scores_stride);
}

void softmax_row(float* x, int64_t n) { active_ops().softmax(x, n); }

void exp_row(const float* x, float* y, int64_t n) { active_ops().exp(x, y, n); }

void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const uint16_t* const* v_rows,
                        int64_t n_rows, float* out) {
  active_ops().weighted_sum_f16(w, w_stride, n_q, d, v_rows, n_rows, out);
}

void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const float* const* v_rows,
                        int64_t n_rows, float* out) {
  active_ops().weighted_sum_f32(w, w_stride, n_q, d, v_rows, n_rows, out);
}

void group_weighted_sum(const float* w, int64_t w_stride, int64_t n_q, int64_t d, const BlockQ8_0* const* v_rows,
                        int64_t n_rows, float* out) {
  active_ops().weighted_sum_q8_0(w, w_stride, n_q, d, v_rows, n_rows, out);
}

}  // namespace tachyon
