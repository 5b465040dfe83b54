#pragma once
// Rotary position embedding. Pair i of a head's first n_rot dimensions turns by
// pos * freq_scale * base^(-2i/n_rot) (divided by freq_factors[i] when the model has llama3-style
// factors). Which dimensions pair up is the layout: "normal" (llama's GGUF layout) pairs adjacent
// dimensions (x[2i], x[2i+1]); NeoX (Qwen2, Phi-3, Gemma 2) pairs the halves (x[i], x[i + n_rot/2]).
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon {

struct RopeParams {
  int64_t n_rot = 0;
  int64_t head_dim = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  std::span<const float> freq_factors;  // (n_rot / 2) or empty
  bool neox = false;                    // the NeoX pairing of the halves
};

// Cos/sin table (n_rot / 2 pairs) for one position; computed the way the reference computes it
// (the angle advances by a float multiply per pair) so rotations match it to the last bits.
void rope_angles(const RopeParams& p, int32_t pos, std::vector<float>& cos_out, std::vector<float>& sin_out);

// Rotates n_heads heads of x (n_heads, head_dim) in place with the table of one position.
void rope_apply(const RopeParams& p, float* x, int64_t n_heads, const float* cos_t, const float* sin_t);

}  // namespace tachyon
