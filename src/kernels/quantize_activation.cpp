#include "kernels/quantize_activation.h"

#include "gguf/quantize.h"
#include "util/fp16.h"

namespace tachyon {

namespace {

void round_through_f16_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_f32(f32_to_fp16(x[i]));
}

void round_through_bf16_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(f32_to_bf16(x[i]));
}

// The activation converters of one level: AVX2 from AVX2 up, else the scalar twins.
struct ActivationKernels {
  QuantizeQ8_0Fn q8_0;
  QuantizeQ8_KFn q8_K;
  RoundValuesFn f16;
  RoundValuesFn bf16;
};

ActivationKernels activation_kernels(Isa isa) {
  if (!isa_available(isa)) isa = detect_isa();
#if defined(TACHYON_X86_KERNELS)
  if (isa != Isa::Scalar) {
    return {quantize_row_q8_0_avx2, quantize_row_q8_K_avx2, round_through_f16_avx2, round_through_bf16_avx2};
  }
#endif
  return {quantize_row_q8_0, quantize_row_q8_K, round_through_f16_scalar, round_through_bf16_scalar};
}

const ActivationKernels& active_kernels() {
  static const ActivationKernels kernels = activation_kernels(active_isa());
  return kernels;
}

}  // namespace

QuantizeQ8_0Fn quantize_q8_0_kernel(Isa isa) { return activation_kernels(isa).q8_0; }
QuantizeQ8_KFn quantize_q8_K_kernel(Isa isa) { return activation_kernels(isa).q8_K; }
RoundValuesFn round_through_f16_kernel(Isa isa) { return activation_kernels(isa).f16; }
RoundValuesFn round_through_bf16_kernel(Isa isa) { return activation_kernels(isa).bf16; }

void quantize_activation_q8_0(const float* x, BlockQ8_0* y, int64_t n) { active_kernels().q8_0(x, y, n); }
void quantize_activation_q8_K(const float* x, BlockQ8_K* y, int64_t n) { active_kernels().q8_K(x, y, n); }
void round_through_f16(const float* x, float* y, int64_t n) { active_kernels().f16(x, y, n); }
void round_through_bf16(const float* x, float* y, int64_t n) { active_kernels().bf16(x, y, n); }

}  // namespace tachyon
