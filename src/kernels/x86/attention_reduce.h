#pragma once
// The eight-lane reduction tree of the x86 attention kernels (attention_rows.h): shared by the
// AVX2 and AVX-512 files, so both reduce exactly as the scalar twin does. Internal linkage on
// purpose, like packed_block_loop.h: each kernel file compiles its own copy with its own flags.
#include <immintrin.h>

namespace tachyon {
namespace {

// Lane h = ((a[h]_0 + a[h]_1) + (a[h]_2 + a[h]_3)) + ((a[h]_4 + a[h]_5) + (a[h]_6 + a[h]_7)).
[[maybe_unused]] __m256 reduce_eight(const __m256* a) {
  const __m256 low_halves = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 high_halves = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(low_halves, high_halves, 0x20),
                       _mm256_permute2f128_ps(low_halves, high_halves, 0x31));
}

// The same tree for one vector.
[[maybe_unused]] float reduce_lanes(__m256 v) {
  const __m256 pairs = _mm256_hadd_ps(v, v);
  const __m256 s = _mm256_hadd_ps(pairs, pairs);
  return _mm_cvtss_f32(_mm_add_ss(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)));
}

}  // namespace
}  // namespace tachyon
