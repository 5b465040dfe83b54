// The llama forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/llama_model.h"

namespace tachyon {

Status LlamaModel::final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                       std::vector<float>& hidden) const {
  const ModelHParams& h = hparams_;
  const LlamaWeights& w = weights_;
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t D = h.n_embd, d = h.head_dim, F = h.n_ff, V = h.n_vocab;
  const int64_t q_dim = h.n_head * d, kv_dim = h.n_head_kv * d;
  hidden.clear();
  if (T == 0) return Status::success();

  // Validate the batch and make room in the cache for every (sequence, position).
  Status reserved = check_and_reserve(batch, kv, V);
  if (!reserved) return reserved;

  std::vector<float> x(T * D);        // (T, D) residual stream
  std::vector<float> xn(T * D);       // (T, D) normalised input of a sub-layer
  std::vector<float> q(T * q_dim);    // (T, H, d)
  std::vector<float> k(T * kv_dim);   // (T, Hkv, d)
  std::vector<float> v(T * kv_dim);   // (T, Hkv, d)
  std::vector<float> attn(T * q_dim); // (T, H, d)
  std::vector<float> proj(T * D);     // (T, D) output of a sub-layer before the residual add
  std::vector<float> gate(T * F);     // (T, F)
  std::vector<float> up(T * F);       // (T, F)

  // Token embeddings: dequantized rows of token_embd.
  embed_tokens(w.token_embd, batch, x.data());

  // Rotation tables, one per token.
  const RopeParams rope{h.n_rot, d, h.rope_freq_base, h.rope_freq_scale, w.rope_freq_factors};
  const RopeTables rope_t = rope_tables(rope, batch);

  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d, ap.sliding_window = h.sliding_window;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const LlamaLayerWeights& L = w.layers[l];

    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v = projections; rotate q and k.
    rms_norm_rows(x.data(), L.attn_norm.data(), xn.data(), T, D, h.rms_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    rotate_and_store_kv(rope, rope_t, batch, kv, l, h.n_head, q.data(), k.data(), v.data());
    // attn (T, H, d): every (token, KV head) pair attends over its own sequence's cached rows,
    // for the query heads that share that KV head.
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    add_in_place(x.data(), proj.data(), T * D);

    // Feed-forward block (SwiGLU): x += W_down (silu(W_gate xn) * W_up xn).
    rms_norm_rows(x.data(), L.ffn_norm.data(), xn.data(), T, D, h.rms_eps);
    swiglu_ffn(L.w_gate, L.w_up, L.w_down, xn.data(), T, gate.data(), up.data(), proj.data(), pool);
    add_in_place(x.data(), proj.data(), T * D);
  }

  // The final norm of the rows that want logits: hidden (n_out, D).
  hidden = rms_norm_output_rows(batch, x.data(), w.output_norm.data(), h.rms_eps, D);
  return Status::success();
}

// logits (n_out, V) = output · hidden.
void LlamaModel::output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const {
  project_to_vocab(weights_.output, hidden, logits, pool);
}

}  // namespace tachyon
