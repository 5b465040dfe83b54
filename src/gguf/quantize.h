#pragma once
// Scalar reference converters between float32 and every storage type the engine reads.
// Dequantization is bit-exact with ggml's row converters, and quantization reproduces ggml's
// reference ("_ref") quantizers byte for byte (both verified against llama.cpp's files).
// All functions are pure: safe from any thread on disjoint outputs.
#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace tachyon {

// True for F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K Q8_K.
bool can_dequantize(GgmlType type);
// Converts n elements (a multiple of the type's block size) stored as `type` to float32.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// True for F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q4_K Q5_K Q6_K Q8_K.
bool can_quantize(GgmlType type);
// Converts n float32 values (a multiple of the block size) to `type`; returns bytes written.
size_t quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

// Activation quantizers, used directly by the dot-product kernels. n is a multiple of the block size.
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n);
void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n);
void quantize_row_q8_K(const float* x, BlockQ8_K* y, int64_t n);
// A Q8_K block's bsums (sums of each 16 quants) from its qs, as quantize_row_q8_K sets them.
void set_q8_K_block_sums(BlockQ8_K& block);

// Weight quantizers (32-element blocks).
void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n);
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n);
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n);
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n);
// Weight quantizers (256-element super-blocks with iterative scale search).
void quantize_row_q4_K(const float* x, BlockQ4_K* y, int64_t n);
void quantize_row_q5_K(const float* x, BlockQ5_K* y, int64_t n);
void quantize_row_q6_K(const float* x, BlockQ6_K* y, int64_t n);

// Dequantizers, one per block type; n is a multiple of the block size.
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n);
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n);
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n);
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n);
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n);
void dequantize_row_q4_K(const BlockQ4_K* x, float* y, int64_t n);
void dequantize_row_q5_K(const BlockQ5_K* x, float* y, int64_t n);
void dequantize_row_q6_K(const BlockQ6_K* x, float* y, int64_t n);
void dequantize_row_q8_K(const BlockQ8_K* x, float* y, int64_t n);

// Unpacks the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block.
void unpack_k_scale_min(int j, const uint8_t* scales, uint8_t* scale, uint8_t* min);

}  // namespace tachyon
