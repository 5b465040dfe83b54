#pragma once
// The SIMD kernels a test compares with the scalar twins: each level this CPU runs and, in a
// build with TACHYON_TEST_AVX512_EMULATED, the AVX-512 kernels built for AVX2 with emulated
// AVX-512 intrinsics (src/kernels/x86/avx512_intrinsics.h), so that their logic is tested on
// CPUs without AVX-512 too.
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/attention_rows.h"
#include "kernels/isa.h"
#include "kernels/packed_weights.h"
#include "kernels/vec_dot.h"

namespace tachyon {
#if defined(TACHYON_TEST_AVX512_EMULATED)
VecDotFn vec_dot_kernel_avx512_emulated(GgmlType weight_type);
PackedDotFn packed_dot_kernel_avx512_emulated(GgmlType type);
PackedDotFn packed_dot_pair_kernel_avx512_emulated(GgmlType type);
AttentionRowOps attention_row_ops_avx512_emulated(AttentionRowOps avx2);
inline constexpr bool kAvx512Emulated = true;
#else
// A build without SIMDe has no emulated AVX-512 kernels: no extra level to test.
inline VecDotFn vec_dot_kernel_avx512_emulated(GgmlType) { return nullptr; }
inline PackedDotFn packed_dot_kernel_avx512_emulated(GgmlType) { return nullptr; }
inline PackedDotFn packed_dot_pair_kernel_avx512_emulated(GgmlType) { return nullptr; }
inline AttentionRowOps attention_row_ops_avx512_emulated(AttentionRowOps avx2) { return avx2; }
inline constexpr bool kAvx512Emulated = false;
#endif
}  // namespace tachyon

namespace tachyon::testing {

template <typename Fn>
struct KernelLevel {
  std::string name;
  Fn fn;
};

// Says once per process which levels this CPU cannot run (and so are not tested natively).
inline void report_missing_levels() {
  static const bool reported = [] {
    for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
      if (!isa_available(isa)) std::printf("[   INFO   ] %s not available on this CPU: not run natively\n", isa_name(isa).data());
    }
    return true;
  }();
  (void)reported;
}

// The kernel of each level this CPU runs, from resolve(isa, type), then `emulated` if set.
template <typename Fn>
std::vector<KernelLevel<Fn>> kernel_levels(Fn (*resolve)(Isa, GgmlType), GgmlType type, Fn emulated) {
  report_missing_levels();
  std::vector<KernelLevel<Fn>> levels;
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (isa_available(isa)) levels.push_back({std::string(isa_name(isa)), resolve(isa, type)});
  }
  if (emulated != nullptr) levels.push_back({"avx512 (emulated)", emulated});
  return levels;
}

inline std::vector<KernelLevel<VecDotFn>> vec_dot_levels(GgmlType type) {
  return kernel_levels(resolve_vec_dot, type, vec_dot_kernel_avx512_emulated(type));
}

inline std::vector<KernelLevel<PackedDotFn>> packed_dot_levels(GgmlType type) {
  return kernel_levels(resolve_packed_dot, type, packed_dot_kernel_avx512_emulated(type));
}

// The two-group (pair) packed kernels of each level this CPU runs that has one for `type`, then
// the emulated AVX-512 one.
inline std::vector<KernelLevel<PackedDotFn>> packed_dot_pair_levels(GgmlType type) {
  std::vector<KernelLevel<PackedDotFn>> levels;
  for (KernelLevel<PackedDotFn>& level : kernel_levels(resolve_packed_dot_pair, type, packed_dot_pair_kernel_avx512_emulated(type))) {
    if (level.fn != nullptr) levels.push_back(std::move(level));
  }
  return levels;
}

// The attention row kernels of each SIMD level this CPU runs, then the emulated AVX-512 ones.
inline std::vector<KernelLevel<AttentionRowOps>> attention_levels() {
  report_missing_levels();
  std::vector<KernelLevel<AttentionRowOps>> levels;
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    if (isa_available(isa)) levels.push_back({std::string(isa_name(isa)), attention_row_ops(isa)});
  }
  if (kAvx512Emulated && isa_available(Isa::Avx2)) {
    levels.push_back({"avx512 (emulated)", attention_row_ops_avx512_emulated(attention_row_ops(Isa::Avx2))});
  }
  return levels;
}

}  // namespace tachyon::testing
