// The Gemma 2 forward pass, top to bottom. Shapes: T = tokens in the batch, D = n_embd,
// H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include <algorithm>
#include <cmath>

#include "kernels/vector_ops.h"
#include "model/attention.h"
#include "model/forward_steps.h"
#include "model/gemma2_model.h"
#include "model/rope.h"

namespace tachyon {

Status Gemma2Model::final_hidden_states(const Batch& batch, KvCache& kv, ThreadPool& pool,
                                       std::vector<float>& hidden) const {
  const ModelHParams& h = hparams_;
  const Gemma2Params& g = params_;
  const Gemma2Weights& w = weights_;
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
  std::vector<float> proj(T * D);     // (T, D) output of a sub-layer before its post-norm
  std::vector<float> gate(T * F);     // (T, F)
  std::vector<float> up(T * F);       // (T, F)

  // Token embeddings, scaled by sqrt(D): x = token_embd[token] * sqrt(D).
  embed_tokens(w.token_embd, batch, x.data());
  const float embd_scale = std::sqrt(static_cast<float>(D));
  for (int64_t i = 0; i < T * D; ++i) x[i] *= embd_scale;

  // Rotation tables (NeoX pairing of the halves), one per token.
  const RopeParams rope{h.n_rot, d, h.rope_freq_base, h.rope_freq_scale, {}, /*neox=*/true};
  const RopeTables rope_t = rope_tables(rope, batch);

  AttentionParams ap;
  ap.n_head = h.n_head, ap.n_head_kv = h.n_head_kv, ap.head_dim = d;
  ap.scale = g.query_scale, ap.softcap = g.attn_softcap;

  for (int64_t l = 0; l < h.n_layer; ++l) {
    const Gemma2LayerWeights& L = w.layers[l];

    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v = projections; rotate q and k.
    rms_norm_rows(x.data(), L.attn_norm.data(), xn.data(), T, D, h.rms_eps);
    const MatmulTarget qkv[] = {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}};
    matmul_many(qkv, xn.data(), T, pool);
    rotate_and_store_kv(rope, rope_t, batch, kv, l, h.n_head, q.data(), k.data(), v.data());
    // attn (T, H, d): scores query_scale * q·k, soft-capped to attn_softcap * tanh(s / attn_softcap);
    // even layers see only the last sliding_window positions (the query's own included).
    ap.sliding_window = l % 2 == 0 ? g.sliding_window : 0;
    attend_batch(ap, batch, kv, l, q.data(), attn.data(), pool);
    matmul(L.wo, attn.data(), proj.data(), T, pool);
    // x += rmsnorm(W_o attn) * post_attention_norm.
    rms_norm_rows(proj.data(), L.post_attn_norm.data(), proj.data(), T, D, h.rms_eps);
    add_in_place(x.data(), proj.data(), T * D);

    // Feed-forward block (GeGLU): f = W_down (gelu(W_gate xn) * W_up xn).
    rms_norm_rows(x.data(), L.ffn_norm.data(), xn.data(), T, D, h.rms_eps);
    const MatmulTarget gate_up[] = {{&L.w_gate, gate.data()}, {&L.w_up, up.data()}};
    matmul_many(gate_up, xn.data(), T, pool);
    for_each_block(pool, T * F, [&](int64_t first, int64_t n) {
      gelu_mul(&gate[first], &up[first], &gate[first], n);  // gate (T, F) = gelu(gate) * up
    });
    matmul(L.w_down, gate.data(), proj.data(), T, pool);
    // x += rmsnorm(f) * post_ffw_norm.
    rms_norm_rows(proj.data(), L.post_ffn_norm.data(), proj.data(), T, D, h.rms_eps);
    add_in_place(x.data(), proj.data(), T * D);
  }

  // The final norm of the rows that want logits: hidden (n_out, D).
  hidden = rms_norm_output_rows(batch, x.data(), w.output_norm.data(), h.rms_eps, D);
  return Status::success();
}

// logits (n_out, V) = output · hidden (the tied embeddings), then the final soft-cap:
// logits = final_softcap * tanh(z / final_softcap).
void Gemma2Model::output_logits(const std::vector<float>& hidden, ThreadPool& pool, std::vector<float>& logits) const {
  project_to_vocab(weights_.output, hidden, logits, pool);
  if (params_.final_softcap <= 0.0f) return;
  const float cap = params_.final_softcap;
  for_each_block(pool, int64_t(logits.size()), [&](int64_t first, int64_t n) {
    for (int64_t i = first; i < first + n; ++i) logits[i] = cap * std::tanh(logits[i] / cap);
  });
}

}  // namespace tachyon
