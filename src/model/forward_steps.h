#pragma once
// Steps every decoder's forward pass takes the same way, whatever its architecture: checking a
// batch and reserving its KV rows, looking up token embeddings, storing K/V rows in the cache's
// type, and picking the rows that want logits. The architecture files (llama_forward.cpp, ...)
// read top to bottom and call these by name.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "util/result.h"
#include "util/thread_pool.h"

namespace tachyon {

// Every token id is below n_vocab and every position is non-negative; reserves each
// (sequence, position + 1) in kv.
Status check_and_reserve(const Batch& batch, KvCache& kv, int64_t n_vocab);

// x (T, D) = the token_embd rows of the batch's tokens, dequantized.
void embed_tokens(const WeightMatrix& token_embd, const Batch& batch, float* x);

// Copies n floats into a cache row of type dtype (f32 as is, f16 rounded to nearest).
void store_kv_row(const float* src, uint8_t* dst, int64_t n, KvDType dtype);

// The rows of x (T, D) whose tokens want logits, in batch order: (n_out, D).
std::vector<float> rows_wanting_logits(const Batch& batch, const float* x, int64_t D);

// Elementwise work on n values spread over the pool in fixed blocks: fn(first, count) once per
// block. Each value is computed on its own, so the split never changes a result. Called from
// the thread that drives the pool.
template <typename Fn>
void for_each_block(ThreadPool& pool, int64_t n, Fn fn) {
  constexpr int64_t kBlock = 512;
  pool.parallel_for((n + kBlock - 1) / kBlock, [&](int64_t begin, int64_t end, int) {
    const int64_t first = begin * kBlock, last = std::min(n, end * kBlock);
    fn(first, last - first);
  });
}

}  // namespace tachyon
