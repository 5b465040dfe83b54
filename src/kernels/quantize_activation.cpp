#include "kernels/quantize_activation.h"

#include "gguf/quantize.h"

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

}  // namespace tachyon
