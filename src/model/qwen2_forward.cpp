// The qwen2 forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/qwen2_model.h"

namespace tachyon {

Status Qwen2Model::final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                      std::vector<float>& hidden) const {
  const ModelHParams& h = hparams_;
  const Qwen2Weights& w = weights_;
  const int64_t T = static_cast<int64_t>(batch.size());
  const int64_t D = h.n_embd, d = h.head_dim, F = h.n_ff;
  const int64_t q_dim = h.n_head * d, kv_dim = h.n_head_kv * d;
  hidden.clear();
  if (T == 0) return Status::success();

  // Validate the batch and make room in the cache for every (sequence, position).
  Status reserved = check_and_reserve(batch, kv, h.n_vocab);
  if (!reserved) return reserved;

  std::vector<float> x(T * D);         // (T, D) residual stream
  std::vector<float> xn(T * D);        // (T, D) normalised input of a sub-layer
  std::vector<float> q(T * q_dim);     // (T, H, d)
  std::vector<float> k(T * kv_dim);    // (T, Hkv, d)
  std::vector<float> v(T * kv_dim);    // (T, Hkv, d)
  std::vector<float> attn(T * q_dim);  // (T, H, d)
  std::vector<float> proj(T * D);      // (T, D) output of a sub-layer before the residual add
  std::vector<float> gate(T * F);      // (T, F)
  std::vector<float> up(T * F);        // (T, F)

  // Token embeddings: dequantized rows of token_embd.
  embed_tokens(w.token_embd, batch, x.data());

  // NeoX rotation (dimension i pairs with i + n_rot/2), one table per token.
  const RopeParams rope{h.n_rot, d, h.rope_freq_base, h.rope_freq_scale, {}, /*neox=*/true};
  const RopeTables rope_t = rope_tables(rope, batch);

  // Causal attention over every earlier position, scores scaled by 1/sqrt(d).
  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const Qwen2LayerWeights& L = w.layers[l];

    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v = W xn + b (biases before RoPE).
    rms_norm_rows(x.data(), L.attn_norm.data(), xn.data(), T, D, h.rms_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    for (int64_t t = 0; t < T; ++t) {
      add_in_place(&q[t * q_dim], L.bq.data(), q_dim);
      add_in_place(&k[t * kv_dim], L.bk.data(), kv_dim);
      add_in_place(&v[t * kv_dim], L.bv.data(), kv_dim);
    }
    // Rotate q and k; k and v go into the cache at each token's (sequence, position).
    rotate_and_store_kv(rope, rope_t, batch, kv, l, h.n_head, q.data(), k.data(), v.data());
    // attn (T, H, d) = softmax(q k^T / sqrt(d)) v over the token's own sequence; x += W_o attn.
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    add_in_place(x.data(), proj.data(), T * D);

    // Feed-forward block (SwiGLU): x += W_down (silu(W_gate xn) * W_up xn), xn = rmsnorm(x) * ffn_norm.
    rms_norm_rows(x.data(), L.ffn_norm.data(), xn.data(), T, D, h.rms_eps);
    swiglu_ffn(L.w_gate, L.w_up, L.w_down, xn.data(), T, gate.data(), up.data(), proj.data(), pool);
    add_in_place(x.data(), proj.data(), T * D);
  }

  // The final norm of the rows that want logits: hidden (n_out, D).
  hidden = rms_norm_output_rows(batch, x.data(), w.output_norm.data(), h.rms_eps, D);
  return Status::success();
}

// logits (n_out, V) = output · hidden.
void Qwen2Model::output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const {
  project_to_vocab(weights_.output, hidden, logits, pool);
}

}  // namespace tachyon
