#include "kernels/half_row_ops.h"

namespace tachyon {

HalfRowOps half_row_ops(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa != Isa::Scalar) return half_row_ops_avx2();
#endif
  return half_row_ops_scalar();
}

namespace {
const HalfRowOps& active_ops() {
  static const HalfRowOps ops = half_row_ops(active_isa());
  return ops;
}
}  // namespace

float dot_f32_f16(const float* a, const uint16_t* b, int64_t n) { return active_ops().dot(a, b, n); }

void axpy_f16(float a, const uint16_t* x, float* y, int64_t n) { active_ops().axpy(a, x, y, n); }

}  // namespace tachyon
