#include "kernels/isa.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tachyon {

namespace {

#if defined(__x86_64__)
// F16C (CPUID leaf 1, ECX bit 29): clang's __builtin_cpu_supports does not know the name.
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}
#endif

Isa probe_cpu() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // __builtin_cpu_supports also checks that the OS saves the wide registers (XGETBV).
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  if (!avx2) return Isa::Scalar;
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512vnni");
  return avx512 ? Isa::Avx512 : Isa::Avx2;
#else
  return Isa::Scalar;
#endif
}

}  // namespace

Isa detect_isa() {
  static const Isa detected = probe_cpu();
  return detected;
}

Isa choose_isa(std::string_view requested, Isa detected) {
  if (requested.empty()) return detected;
  const std::optional<Isa> wanted = isa_from_name(requested);
  if (!wanted) return detected;
  return static_cast<int>(*wanted) < static_cast<int>(detected) ? *wanted : detected;
}

Isa active_isa() {
  static const Isa active = [] {
    const char* env = std::getenv("TACHYON_ISA");
    const std::string_view requested = env ? env : "";
    if (!requested.empty() && !isa_from_name(requested)) {
      std::fprintf(stderr, "tachyon: ignoring unknown TACHYON_ISA=%s (use scalar, avx2 or avx512)\n",
                   env);
    }
    return choose_isa(requested, detect_isa());
  }();
  return active;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "scalar";
}

std::optional<Isa> isa_from_name(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (lower == isa_name(isa)) return isa;
  }
  return std::nullopt;
}

bool isa_available(Isa isa) { return static_cast<int>(isa) <= static_cast<int>(detect_isa()); }

}  // namespace tachyon
