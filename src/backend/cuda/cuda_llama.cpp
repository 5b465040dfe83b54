// The llama forward pass on a CUDA device, top to bottom. Shapes: T = tokens in the batch,
// D = n_embd, H = n_head, Hkv = n_head_kv, d = head_dim, F = n_ff, V = n_vocab.
#include "backend/cuda/cuda_llama.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "backend/cuda/cuda_forward.h"
#include "backend/cuda/cuda_kv_cache.h"
#include "backend/cuda/cuda_status.h"

namespace tachyon::cuda {
namespace {

constexpr size_t kAlign = 256;

size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
size_t matrix_bytes(const WeightMatrix& w) { return size_t(w.n_rows) * w.row_bytes; }

// Lays host arrays out in one device allocation and copies them there.
class Uploader {
 public:
  void add_matrix(const WeightMatrix& w) { total_ += aligned(matrix_bytes(w)); }
  void add_floats(size_t n) { total_ += aligned(n * sizeof(float)); }
  size_t total() const { return total_; }

  void start(uint8_t* base) { base_ = base, next_ = 0; }
  Result<DeviceMatrix> matrix(const WeightMatrix& w) {
    auto* dst = copy(w.data, matrix_bytes(w));
    if (!dst) return error_;
    return DeviceMatrix{uint32_t(w.type), dst, w.n_rows, w.n_cols, w.row_bytes};
  }
  Result<const float*> floats(const std::vector<float>& v) {
    if (v.empty()) return static_cast<const float*>(nullptr);
    auto* dst = copy(v.data(), v.size() * sizeof(float));
    if (!dst) return error_;
    return reinterpret_cast<const float*>(dst);
  }

 private:
  const uint8_t* copy(const void* src, size_t bytes) {
    uint8_t* dst = base_ + next_;
    if (Status s = cuda_status(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "uploading weights"); !s) {
      error_ = s.error();
      return nullptr;
    }
    next_ += aligned(bytes);
    return dst;
  }

  size_t total_ = 0;
  uint8_t* base_ = nullptr;
  size_t next_ = 0;
  Error error_;
};

Status check_type(const WeightMatrix& w, std::string_view name) {
  if (weight_type_supported(uint32_t(w.type))) return Status::success();
  return make_error(ErrorKind::InvalidArgument, "{}: weight type {} is not supported by the CUDA backend", name,
                    ggml_type_name(w.type));
}

}  // namespace

Result<std::unique_ptr<ForwardPass>> make_cuda_forward(const LlamaModel& model) {
  auto forward = CudaLlama::create(model);
  if (!forward) return forward.error();
  return std::unique_ptr<ForwardPass>(std::move(*forward));
}

Result<std::unique_ptr<CudaLlama>> CudaLlama::create(const LlamaModel& model) {
  int n_devices = 0;
  if (cudaGetDeviceCount(&n_devices) != cudaSuccess || n_devices == 0)
    return make_error(ErrorKind::Unavailable, "no CUDA device is present");
  const ModelHParams& h = model.hparams();
  if (h.head_dim != 32 && h.head_dim != 64 && h.head_dim != 128 && h.head_dim != 256)
    return make_error(ErrorKind::InvalidArgument, "the CUDA backend runs head_dim 32, 64, 128 or 256, not {}",
                      h.head_dim);
  std::unique_ptr<CudaLlama> forward(new CudaLlama(model));
  if (Status s = cuda_status(cudaSetDevice(0), "selecting CUDA device 0"); !s) return s.error();
  cudaDeviceProp prop{};
  if (Status s = cuda_status(cudaGetDeviceProperties(&prop, 0), "reading device properties"); !s) return s.error();
  forward->device_name_ = fmt::format("cuda:0 ({}, sm_{}{})", prop.name, prop.major, prop.minor);
  if (Status s = cuda_status(cudaStreamCreateWithFlags(&forward->stream_, cudaStreamNonBlocking), "creating a stream");
      !s)
    return s.error();
  if (Status s = forward->upload(); !s) return s.error();
  return forward;
}

CudaLlama::~CudaLlama() {
  if (stream_) cudaStreamDestroy(stream_);
}

Status CudaLlama::upload() {
  const LlamaWeights& w = model_.weights();
  if (Status s = check_type(w.token_embd, "token_embd"); !s) return s;
  if (Status s = check_type(w.output, "output"); !s) return s;
  Uploader up;
  up.add_matrix(w.token_embd);
  if (!w.tied_embeddings) up.add_matrix(w.output);
  up.add_floats(w.output_norm.size());
  up.add_floats(w.rope_freq_factors.size());
  for (const LlamaLayerWeights& L : w.layers) {
    for (const WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      if (Status s = check_type(*m, "layer matrix"); !s) return s;
      up.add_matrix(*m);
    }
    up.add_floats(L.attn_norm.size());
    up.add_floats(L.ffn_norm.size());
  }
  if (Status s = weights_.allocate(up.total(), fmt::format("{:.2f} GiB of weights in device memory",
                                                           double(up.total()) / (1 << 30)));
      !s)
    return s;
  up.start(weights_.get<uint8_t>());
  auto matrix = [&](const WeightMatrix& m, DeviceMatrix& out) -> Status {
    auto d = up.matrix(m);
    if (!d) return d.error();
    out = *d;
    return Status::success();
  };
  auto floats = [&](const std::vector<float>& v, const float*& out) -> Status {
    auto d = up.floats(v);
    if (!d) return d.error();
    out = *d;
    return Status::success();
  };
  if (Status s = matrix(w.token_embd, token_embd_); !s) return s;
  if (w.tied_embeddings) {
    output_ = token_embd_;
  } else if (Status s = matrix(w.output, output_); !s) {
    return s;
  }
  if (Status s = floats(w.output_norm, output_norm_); !s) return s;
  if (Status s = floats(w.rope_freq_factors, rope_freq_factors_); !s) return s;
  layers_.resize(w.layers.size());
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LlamaLayerWeights& L = w.layers[l];
    CudaLayerWeights& C = layers_[l];
    const std::pair<const WeightMatrix*, DeviceMatrix*> matrices[] = {
        {&L.wq, &C.wq}, {&L.wk, &C.wk}, {&L.wv, &C.wv}, {&L.wo, &C.wo},
        {&L.w_gate, &C.w_gate}, {&L.w_up, &C.w_up}, {&L.w_down, &C.w_down}};
    for (auto [src, dst] : matrices)
      if (Status s = matrix(*src, *dst); !s) return s;
    if (Status s = floats(L.attn_norm, C.attn_norm); !s) return s;
    if (Status s = floats(L.ffn_norm, C.ffn_norm); !s) return s;
  }
  return Status::success();
}

Result<std::unique_ptr<KvCache>> CudaLlama::make_paged_kv(KvShape shape, KvBlockManager& blocks) const {
  auto kv = CudaKvCache::paged(shape, blocks);
  if (!kv) return kv.error();
  return std::unique_ptr<KvCache>(std::move(*kv));
}

Result<std::unique_ptr<KvCache>> CudaLlama::make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                               int32_t max_positions) const {
  auto kv = CudaKvCache::contiguous(shape, max_sequences, max_positions);
  if (!kv) return kv.error();
  return std::unique_ptr<KvCache>(std::move(*kv));
}

Status CudaLlama::ensure_scratch(int64_t n_tokens, size_t n_index) const {
  const ModelHParams& h = model_.hparams();
  if (n_tokens > scratch_tokens_) {
    const int64_t per_token = 2 * h.n_embd + 2 * h.n_head * h.head_dim + 2 * h.n_head_kv * h.head_dim + 2 * h.n_ff +
                              h.n_vocab;
    if (Status s = activations_.allocate(size_t(n_tokens * per_token) * sizeof(float), "activations in device memory");
        !s)
      return s;
    if (Status s = host_logits_.reserve(size_t(n_tokens * h.n_vocab) * sizeof(float), "pinned logits"); !s) return s;
    // f16 rows past the batch are read by the last tile and their results dropped: zero them once.
    const int64_t padded = (n_tokens + kHalfRowTile - 1) / kHalfRowTile * kHalfRowTile;
    const size_t half_bytes = size_t(padded * std::max({h.n_embd, h.n_head * h.head_dim, h.n_ff})) * sizeof(uint16_t);
    if (Status s = half_input_.allocate(half_bytes, "f16 activations in device memory"); !s) return s;
    if (Status s = cuda_status(cudaMemset(half_input_.get(), 0, half_bytes), "clearing f16 activations"); !s) return s;
    scratch_tokens_ = n_tokens;
  }
  if (Status s = indices_.reserve(n_index * sizeof(int32_t), "batch indices in device memory"); !s) return s;
  return host_indices_.reserve(n_index * sizeof(int32_t), "pinned batch indices");
}

Status CudaLlama::forward(const Batch& batch, KvCache& kv_base, ThreadPool&, std::vector<float>& logits) const {
  const ModelHParams& h = model_.hparams();
  const int64_t T = int64_t(batch.size());
  const int64_t D = h.n_embd, d = h.head_dim, F = h.n_ff, V = h.n_vocab;
  const int64_t q_dim = h.n_head * d, kv_dim = h.n_head_kv * d;
  logits.clear();
  if (T == 0) return Status::success();
  auto* kv = dynamic_cast<CudaKvCache*>(&kv_base);
  if (!kv) return make_error(ErrorKind::Internal, "the KV cache is not in CUDA device memory");
  std::lock_guard lock(mutex_);

  // Validate the batch, make room in the cache, and lay out the index arrays:
  // tokens (T), positions (T), table offsets (T), logit rows (n_out), then each sequence's block table.
  for (int64_t t = 0; t < T; ++t) {
    if (batch.tokens[t] < 0 || batch.tokens[t] >= V)
      return make_error("token id {} out of range (vocabulary has {} tokens)", batch.tokens[t], V);
    if (batch.positions[t] < 0) return make_error("negative position {}", batch.positions[t]);
    if (Status s = kv->reserve(batch.seq_ids[t], batch.positions[t] + 1); !s) return s;
  }
  std::unordered_map<int32_t, int32_t> table_of_seq;
  std::vector<int32_t> block_ids;
  std::vector<int32_t> table_offset(T), logit_rows;
  for (int64_t t = 0; t < T; ++t) {
    auto [it, inserted] = table_of_seq.emplace(batch.seq_ids[t], int32_t(block_ids.size()));
    if (inserted) {
      const auto& table = kv->blocks().block_table(batch.seq_ids[t]);
      block_ids.insert(block_ids.end(), table.begin(), table.end());
    }
    table_offset[t] = it->second;
    if (batch.want_logits[t]) logit_rows.push_back(int32_t(t));
  }
  const int64_t n_out = int64_t(logit_rows.size());
  const size_t n_index = size_t(3 * T + n_out) + block_ids.size();
  if (Status s = ensure_scratch(T, n_index); !s) return s;
  int32_t* host = host_indices_.get<int32_t>();
  std::copy(batch.tokens.begin(), batch.tokens.end(), host);
  std::copy(batch.positions.begin(), batch.positions.end(), host + T);
  std::copy(table_offset.begin(), table_offset.end(), host + 2 * T);
  std::copy(logit_rows.begin(), logit_rows.end(), host + 3 * T);
  std::copy(block_ids.begin(), block_ids.end(), host + 3 * T + n_out);
  int32_t* dev = indices_.get<int32_t>();
  const int32_t *tokens = dev, *positions = dev + T, *offsets = dev + 2 * T, *rows_out = dev + 3 * T,
                *blocks = dev + 3 * T + n_out;

  float* x = activations_.get<float>();  // (T, D) residual stream
  float* xn = x + T * D;                  // (T, D) normalised input of a sub-layer
  float* q = xn + T * D;                  // (T, H, d)
  float* k = q + T * q_dim;               // (T, Hkv, d)
  float* v = k + T * kv_dim;              // (T, Hkv, d)
  float* attn = v + T * kv_dim;           // (T, H, d)
  float* gate = attn + T * q_dim;         // (T, F)
  float* up = gate + T * F;               // (T, F)
  float* out = up + T * F;                // (n_out, V)
  uint16_t* xh = half_input_.get<uint16_t>();  // (T, ·) the current matmul input as f16

  cudaError_t err = cudaMemcpyAsync(dev, host, n_index * sizeof(int32_t), cudaMemcpyHostToDevice, stream_);
  auto run = [&](cudaError_t e) {
    if (err == cudaSuccess) err = e;
  };
  const KvShape& shape = kv->shape();
  const KvGeometry geo{kv->k_base(), kv->v_base(), shape.dtype == KvDType::F16, shape.n_layer,
                       kv->blocks().block_size(), shape.n_kv_heads, shape.head_dim, blocks, offsets, positions};
  // As model/rope.cpp computes it: pow in double, rounded to float.
  const float theta_scale = float(std::pow(h.rope_freq_base, -2.0f / float(h.n_rot)));
  const RopeGeometry rope{h.n_rot, theta_scale, h.rope_freq_scale, rope_freq_factors_};

  // Token embeddings.
  run(embed_rows(token_embd_, tokens, T, x, stream_));
  for (size_t l = 0; l < layers_.size(); ++l) {
    const CudaLayerWeights& L = layers_[l];
    // Attention block: xn = rmsnorm(x) * attn_norm; q, k, v projections; rotate q and k, store k and v.
    run(rms_norm(x, L.attn_norm, xn, nullptr, T, D, h.rms_eps, stream_));
    run(to_half(xn, xh, T * D, stream_));
    run(matmul(L.wq, xn, xh, q, T, false, stream_));
    run(matmul(L.wk, xn, xh, k, T, false, stream_));
    run(matmul(L.wv, xn, xh, v, T, false, stream_));
    run(rope_store_kv(rope, geo, int64_t(l), q, k, v, T, h.n_head, stream_));
    run(attention(geo, int64_t(l), q, attn, T, h.n_head, h.sliding_window, stream_));
    run(to_half(attn, xh, T * q_dim, stream_));
    run(matmul(L.wo, attn, xh, x, T, true, stream_));  // x += W_o attn
    // Feed-forward block (SwiGLU): x += W_down (silu(W_gate xn) * W_up xn).
    run(rms_norm(x, L.ffn_norm, xn, nullptr, T, D, h.rms_eps, stream_));
    run(to_half(xn, xh, T * D, stream_));
    run(matmul(L.w_gate, xn, xh, gate, T, false, stream_));
    run(matmul(L.w_up, xn, xh, up, T, false, stream_));
    run(silu_mul(gate, up, T * F, stream_));
    run(to_half(gate, xh, T * F, stream_));
    run(matmul(L.w_down, gate, xh, x, T, true, stream_));
  }
  // Final norm and output projection, only for the rows that want logits.
  run(rms_norm(x, output_norm_, xn, rows_out, n_out, D, h.rms_eps, stream_));
  run(to_half(xn, xh, n_out * D, stream_));
  run(matmul(output_, xn, xh, out, n_out, false, stream_));
  float* host_out = host_logits_.get<float>();
  run(cudaMemcpyAsync(host_out, out, size_t(n_out * V) * sizeof(float), cudaMemcpyDeviceToHost, stream_));
  run(cudaStreamSynchronize(stream_));
  if (Status s = cuda_status(err, "CUDA forward pass"); !s) return s;
  logits.assign(host_out, host_out + n_out * V);
  return Status::success();
}

}  // namespace tachyon::cuda
