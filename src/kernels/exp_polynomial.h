#pragma once
// The constants of the f32 exp shared by the scalar and SIMD attention kernels, so that both
// evaluate one formula:
//   x clamped to [kExpMin, kExpMax] (NaN passes), n = nearest integer to x * log2(e),
//   r = x - n * ln2 (two fused steps, Cody-Waite split), p = 1 + r + r^2 * poly(r) (Cephes expf
//   coefficients, Horner with fused multiply-adds), exp(x) = (p * 2^(n >> 1)) * 2^(n - (n >> 1)).
// Scaling in two halves keeps both factors normal, so results that overflow become inf and
// results in the subnormal range are rounded once, without special cases.
// Measured on every float in [-110, 90]: at most 1 ulp from the correctly rounded exp.

namespace tachyon::exp_polynomial {

// Below kExpMin exp rounds to 0 (n stays >= -150); above kExpMax it overflows (n stays <= 128).
inline constexpr float kExpMin = -104.0f;
inline constexpr float kExpMax = 89.0f;
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;  // kLn2Hi + kLn2Lo = ln2 to twice float precision
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kP0 = 1.9875691500e-4f;  // r^5 term of poly, down to kP5 (r^0)
inline constexpr float kP1 = 1.3981999507e-3f;
inline constexpr float kP2 = 8.3334519073e-3f;
inline constexpr float kP3 = 4.1665795894e-2f;
inline constexpr float kP4 = 1.6666665459e-1f;
inline constexpr float kP5 = 5.0000001201e-1f;

}  // namespace tachyon::exp_polynomial
