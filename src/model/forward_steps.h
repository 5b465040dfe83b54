#pragma once
// Steps every decoder's forward pass takes the same way, whatever its architecture: checking a
// batch and reserving its KV rows, looking up token embeddings, rotating Q/K and storing K/V rows
// in the cache's type, the SwiGLU feed-forward block, and the logits of the rows that want them.
// The architecture files (llama_forward.cpp, ...) read top to bottom and call these by name.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/matmul.h"
#include "kv/kv_cache.h"
#include "model/batch.h"
#include "model/rope.h"
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

// y (n_rows, n) = rms_norm of each row of x (n_rows, n) times w (n). y may alias x.
void rms_norm_rows(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

// x[i] += y[i] for i < n: a residual connection, or a bias when y repeats it row by row.
void add_in_place(float* x, const float* y, int64_t n);

// One RoPE cos/sin table per token of a batch, at the token's position: (T) tables of n_rot / 2.
struct RopeTables {
  std::vector<std::vector<float>> cos, sin;
};
RopeTables rope_tables(const RopeParams& rope, const Batch& batch);

// For every token t of the batch: rotates q[t] (n_head, d) and k[t] (n_head_kv, d) in place with
// its table, then stores k[t] and v[t] as layer `layer`'s rows of (seq_ids[t], positions[t]).
void rotate_and_store_kv(const RopeParams& rope, const RopeTables& tables, const Batch& batch, KvCache& kv,
                         int64_t layer, int64_t n_head, float* q, float* k, const float* v);

// SwiGLU feed-forward: out (T, D) = W_down (silu(W_gate xn) * W_up xn) for xn (T, D); gate and
// up are (T, F) scratch. Elementwise work is spread over the pool in fixed blocks, matmuls split
// output rows, so every token's result is batch invariant.
void swiglu_ffn(const WeightMatrix& w_gate, const WeightMatrix& w_up, const WeightMatrix& w_down, const float* xn,
                int64_t T, float* gate, float* up, float* out, ThreadPool& pool);

// The final hidden states (n_out, D): rms_norm(x[t]) * output_norm for the tokens t of x (T, D)
// that want logits, in batch order.
std::vector<float> rms_norm_output_rows(const Batch& batch, const float* x, const float* output_norm, float eps,
                                        int64_t D);

// logits (n_out, V) = output · hidden for hidden (n_out, D).
void project_to_vocab(const WeightMatrix& output, const std::vector<float>& hidden, std::vector<float>& logits,
                      ThreadPool& pool);

}  // namespace tachyon
