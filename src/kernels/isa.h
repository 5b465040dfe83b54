#pragma once
// Instruction-set levels the kernels are built for, and the one-time choice among them.
// The choice is made once per process so that every dot product of a run uses the same
// kernels (and hence the same summation order).
#include <optional>
#include <string_view>

namespace tachyon {

// Ordered: each level implies the ones before it. Avx2 needs AVX2+FMA+F16C; Avx512 needs
// AVX-512 F+BW+DQ+VL+VNNI on top of Avx2.
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// The best level this CPU (and OS) supports; computed once, safe from any thread.
Isa detect_isa();
// The level every dispatched kernel uses: detect_isa(), or TACHYON_ISA=scalar|avx2|avx512
// clamped to detect_isa(). Read once at first call; safe from any thread.
Isa active_isa();
// Pure form of active_isa's rule: `requested` is the environment value (empty when unset).
// Unknown names fall back to `detected`.
Isa choose_isa(std::string_view requested, Isa detected);

// "scalar", "avx2", "avx512".
std::string_view isa_name(Isa isa);
// Inverse of isa_name (case-insensitive); nullopt for unknown names.
std::optional<Isa> isa_from_name(std::string_view name);
// True when kernels of this level can run on this machine.
bool isa_available(Isa isa);

}  // namespace tachyon
