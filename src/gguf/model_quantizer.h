#pragma once
// Converts a GGUF model's weights to another storage type, as `llama-quantize` does without an
// importance matrix.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gguf/ggml_type.h"
#include "util/result.h"

namespace tachyon {

// llama.cpp's general.file_type number for a target type (Q4_K and Q5_K mean the _M mixes);
// nullopt for types quantize_model does not produce.
std::optional<uint32_t> llama_file_type(GgmlType type);

// The type quantize_model gives tensor `name` (n_dims dimensions, row length row_length) when the
// target is `type`. n_layers is the model's block count, used by the Q4_K/Q5_K mixes, and
// has_output says whether the model has a separate output.weight (else token_embd is tied to it).
// Returns nullopt when the tensor keeps its stored type (not a weight, or a row length that is not
// a multiple of the block size).
std::optional<GgmlType> quantized_tensor_type(std::string_view name, int n_dims, int64_t row_length,
                                              GgmlType type, int n_layers, bool has_output);

// Reads in_path (F32/F16/BF16 or quantized tensors), writes out_path with every 2-D weight
// converted to `type`, using n_threads threads (<= 0: all cores):
//  - 1-D tensors (norms) become F32;
//  - output.weight (token_embd.weight when tied) becomes Q6_K when `type` is a 4/5-bit type;
//  - Q4_K and Q5_K follow llama.cpp's _M mix: attn_v and ffn_down of some layers get Q6_K;
//  - a weight whose row length is not a multiple of the block size keeps its stored type.
// All metadata is copied; general.file_type and general.quantization_version are set. Supported
// targets: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K. Call from one thread.
Status quantize_model(const std::string& in_path, const std::string& out_path, GgmlType type, int n_threads);

}  // namespace tachyon
