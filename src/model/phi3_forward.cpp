// The phi3 forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/phi3_model.h"

namespace tachyon {

Status Phi3Model::final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                     std::vector<float>& hidden) const {
  const ModelHParams& h = hparams_;
  const Phi3Weights& w = weights_;
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
  std::vector<float> q(T * q_dim);     // (T, H, d): rows [0, H d) of the fused QKV output
  std::vector<float> k(T * kv_dim);    // (T, Hkv, d): the next Hkv d rows
  std::vector<float> v(T * kv_dim);    // (T, Hkv, d): the last Hkv d rows
  std::vector<float> attn(T * q_dim);  // (T, H, d)
  std::vector<float> proj(T * D);      // (T, D) output of a sub-layer before the residual add
  std::vector<float> gate(T * F);      // (T, F): rows [0, F) of the fused ffn_up output
  std::vector<float> up(T * F);        // (T, F): rows [F, 2F)

  // Token embeddings: dequantized rows of token_embd.
  embed_tokens(w.token_embd, batch, x.data());

  // NeoX rotation (dimension i pairs with i + n_rot/2), one table per token.
  const RopeParams rope{h.n_rot, d, h.rope_freq_base, h.rope_freq_scale, {}, /*neox=*/true};
  const RopeTables rope_t = rope_tables(rope, batch);

  // Causal attention inside the sliding window on every layer: query position i sees key
  // positions j with 0 <= i - j < sliding_window (all of them when the window is 0).
  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d, ap.sliding_window = h.sliding_window;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const Phi3LayerWeights& L = w.layers[l];

    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v = the three parts of W_qkv xn.
    rms_norm_rows(x.data(), L.attn_norm.data(), xn.data(), T, D, h.rms_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    // Rotate q and k; k and v go into the cache at each token's (sequence, position).
    rotate_and_store_kv(rope, rope_t, batch, kv, l, h.n_head, q.data(), k.data(), v.data());
    // attn (T, H, d) = softmax(q k^T / sqrt(d)) v over the window; x += W_o attn.
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    add_in_place(x.data(), proj.data(), T * D);

    // Feed-forward block: u = W_up xn (2F values, gate first); x += W_down (silu(u[:F]) * u[F:]).
    rms_norm_rows(x.data(), L.ffn_norm.data(), xn.data(), T, D, h.rms_eps);
    swiglu_ffn(L.w_gate, L.w_up, L.w_down, xn.data(), T, gate.data(), up.data(), proj.data(), pool);
    add_in_place(x.data(), proj.data(), T * D);
  }

  // The final norm of the rows that want logits: hidden (n_out, D).
  hidden = rms_norm_output_rows(batch, x.data(), w.output_norm.data(), h.rms_eps, D);
  return Status::success();
}

// logits (n_out, V) = output · hidden.
void Phi3Model::output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const {
  project_to_vocab(weights_.output, hidden, logits, pool);
}

}  // namespace tachyon
