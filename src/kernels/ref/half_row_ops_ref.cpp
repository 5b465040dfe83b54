// Scalar twins of the f16-row kernels: one element at a time, in index order.
#include "kernels/half_row_ops.h"
#include "util/fp16.h"

namespace tachyon {

namespace {

float dot(const float* a, const uint16_t* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * fp16_to_f32(b[i]);
  return sum;
}

void axpy(float a, const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * fp16_to_f32(x[i]);
}

}  // namespace

HalfRowOps half_row_ops_scalar() { return {dot, axpy}; }

}  // namespace tachyon
