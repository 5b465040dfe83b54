#include "kernels/quantize_activation.h"

#include "gguf/quantize.h"
#include "util/fp16.h"

namespace tachyon {

QuantizeQ8_0Fn quantize_q8_0_kernel(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa != Isa::Scalar) return quantize_row_q8_0_avx2;
#endif
  return quantize_row_q8_0;
}

void quantize_activation_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  static const QuantizeQ8_0Fn kernel = quantize_q8_0_kernel(active_isa());
  kernel(x, y, n);
}

namespace {

void round_through_f16_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

void round_through_bf16_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
}

}  // namespace

RoundValuesFn round_through_f16_kernel(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa != Isa::Scalar) return round_through_f16_avx2;
#endif
  return round_through_f16_scalar;
}

RoundValuesFn round_through_bf16_kernel(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa != Isa::Scalar) return round_through_bf16_avx2;
#endif
  return round_through_bf16_scalar;
}

void round_through_f16(const float* x, float* y, int64_t n) {
  static const RoundValuesFn kernel = round_through_f16_kernel(active_isa());
  kernel(x, y, n);
}

void round_through_bf16(const float* x, float* y, int64_t n) {
  static const RoundValuesFn kernel = round_through_bf16_kernel(active_isa());
  kernel(x, y, n);
}

}  // namespace tachyon
