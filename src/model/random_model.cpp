#include "model/random_model.h"

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf/model_quantizer.h"
#include "gguf/quantize.h"
#include "util/thread_pool.h"

namespace tachyon {
namespace {

// splitmix64: tiny, fast and the same on every platform (std distributions are not).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  float normal() {  // Box-Muller
    const double u1 = uniform() + 1e-300, u2 = uniform();
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
  }
};

// Tensor data kept alive until the writer has written the file.
struct TensorStore {
  std::vector<std::unique_ptr<std::vector<uint8_t>>> buffers;
};

Status add_random_matrix(GgufWriter& w, TensorStore& store, ThreadPool& pool, const std::string& name,
                         int64_t n_cols, int64_t n_rows, GgmlType type, float stddev, uint64_t seed) {
  const size_t row_bytes = ggml_row_size(type, n_cols);
  auto buf = std::make_unique<std::vector<uint8_t>>(row_bytes * size_t(n_rows));
  uint8_t* out = buf->data();
  // Each row has its own stream, so the file does not depend on the thread count.
  pool.parallel_for(n_rows, [&](int64_t begin, int64_t end, int) {
    std::vector<float> row(n_cols);
    for (int64_t r = begin; r < end; ++r) {
      Rng rng{seed * 0x100000001b3ull + uint64_t(r)};
      for (auto& v : row) v = rng.normal() * stddev;
      quantize_row(type, row.data(), out + size_t(r) * row_bytes, n_cols);
    }
  });
  Status s = w.add_tensor(name, type, {n_cols, n_rows}, out, buf->size());
  store.buffers.push_back(std::move(buf));
  return s;
}

Status add_ones(GgufWriter& w, TensorStore& store, const std::string& name, int64_t n) {
  auto buf = std::make_unique<std::vector<uint8_t>>(size_t(n) * sizeof(float));
  float* f = reinterpret_cast<float*>(buf->data());
  for (int64_t i = 0; i < n; ++i) f[i] = 1.0f;
  Status s = w.add_tensor(name, GgmlType::F32, {n}, buf->data(), buf->size());
  store.buffers.push_back(std::move(buf));
  return s;
}

// A byte-fallback SPM vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then filler pieces.
void synthesize_vocab(GgufWriter& w, int64_t n_vocab) {
  std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types{2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(fmt::format("<0x{:02X}>", b));
    types.push_back(6);
  }
  for (int64_t i = int64_t(tokens.size()); i < n_vocab; ++i) {
    tokens.push_back(fmt::format("\xe2\x96\x81tok{}", i));
    types.push_back(1);
  }
  tokens.resize(n_vocab);
  types.resize(n_vocab);
  std::vector<float> scores(n_vocab);
  for (int64_t i = 0; i < n_vocab; ++i) scores[i] = -float(i);
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string("tokenizer.ggml.pre", "default");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);
}

// The tokenizer.* keys: copied from spec.vocab_path, or a synthesised vocabulary of n_vocab
// tokens. Returns the vocabulary's size.
Result<int64_t> write_vocabulary(GgufWriter& w, const RandomModelSpec& spec) {
  if (!spec.vocab_path) {
    synthesize_vocab(w, spec.n_vocab);
    return spec.n_vocab;
  }
  auto f = GgufFile::open(*spec.vocab_path);
  if (!f) return f.error();
  for (const auto& kv : (*f)->metadata())
    if (kv.key.rfind("tokenizer.", 0) == 0) w.set_value(kv.key, kv.value);
  const auto tokens = (*f)->find("tokenizer.ggml.tokens");
  if (!tokens) return make_error("{}: has no tokenizer.ggml.tokens", *spec.vocab_path);
  return int64_t(tokens->array.size());
}

Status add_zeros(GgufWriter& w, TensorStore& store, const std::string& name, int64_t n) {
  auto buf = std::make_unique<std::vector<uint8_t>>(size_t(n) * sizeof(float), uint8_t{0});
  Status s = w.add_tensor(name, GgmlType::F32, {n}, buf->data(), buf->size());
  store.buffers.push_back(std::move(buf));
  return s;
}

}  // namespace

std::optional<RandomModelSpec> random_model_shape(std::string_view name) {
  RandomModelSpec s;
  if (name == "tinyllama-1.1b") {
    s.name = "random-tinyllama-1.1b";
    s.n_embd = 2048, s.n_layer = 22, s.n_head = 32, s.n_head_kv = 4, s.n_ff = 5632, s.n_vocab = 32000;
    s.n_ctx = 2048;
    return s;
  }
  if (name == "llama2-7b") {
    s.name = "random-llama2-7b";
    s.n_embd = 4096, s.n_layer = 32, s.n_head = 32, s.n_head_kv = 32, s.n_ff = 11008, s.n_vocab = 32000;
    s.n_ctx = 4096;
    return s;
  }
  if (name == "tiny") {
    s.name = "random-tiny";
    s.n_embd = 288, s.n_layer = 6, s.n_head = 6, s.n_head_kv = 6, s.n_ff = 768, s.n_vocab = 32000;
    s.n_ctx = 256;
    return s;
  }
  return std::nullopt;
}

Status apply_dims(RandomModelSpec& spec, std::string_view dims) {
  const std::map<std::string, int64_t*, std::less<>> fields{
      {"n_embd", &spec.n_embd}, {"n_layer", &spec.n_layer}, {"n_head", &spec.n_head},
      {"n_head_kv", &spec.n_head_kv}, {"n_ff", &spec.n_ff}, {"n_vocab", &spec.n_vocab}, {"n_ctx", &spec.n_ctx},
      {"head_dim", &spec.head_dim}, {"sliding_window", &spec.sliding_window}};
  while (!dims.empty()) {
    const size_t comma = dims.find(',');
    const std::string_view item = dims.substr(0, comma);
    dims = comma == std::string_view::npos ? std::string_view{} : dims.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return make_error("--dims: expected key=value, got '{}'", item);
    auto it = fields.find(item.substr(0, eq));
    if (it == fields.end())
      return make_error("--dims: unknown key '{}' (n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx, "
                        "head_dim, sliding_window)",
                        item.substr(0, eq));
    try {
      *it->second = std::stoll(std::string(item.substr(eq + 1)));
    } catch (const std::exception&) {
      return make_error("--dims: '{}' is not a number", item.substr(eq + 1));
    }
    if (*it->second <= 0) return make_error("--dims: {} must be positive", it->first);
  }
  if ((spec.head_dim == 0 && spec.n_embd % spec.n_head != 0) || spec.n_head % spec.n_head_kv != 0)
    return make_error("--dims: n_head must divide n_embd (or head_dim be given) and n_head_kv must divide n_head");
  return Status::success();
}

Status write_random_model(const RandomModelSpec& spec, const std::string& path) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", spec.name);
  auto n_vocab_written = write_vocabulary(w, spec);
  if (!n_vocab_written) return n_vocab_written.error();
  const int64_t n_vocab = *n_vocab_written;
  const int64_t head_dim = spec.head_dim > 0 ? spec.head_dim : spec.n_embd / spec.n_head;
  w.set_u32("llama.vocab_size", uint32_t(n_vocab));
  w.set_u32("llama.context_length", uint32_t(spec.n_ctx));
  w.set_u32("llama.embedding_length", uint32_t(spec.n_embd));
  const int64_t n_written = spec.keep_layers > 0 ? std::min(spec.keep_layers, spec.n_layer) : spec.n_layer;
  w.set_u32("llama.block_count", uint32_t(n_written));
  w.set_u32("llama.feed_forward_length", uint32_t(spec.n_ff));
  w.set_u32("llama.attention.head_count", uint32_t(spec.n_head));
  w.set_u32("llama.attention.head_count_kv", uint32_t(spec.n_head_kv));
  w.set_u32("llama.rope.dimension_count", uint32_t(head_dim));
  w.set_f32("llama.rope.freq_base", spec.rope_freq_base);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  if (const auto ftype = llama_file_type(spec.type)) w.set_u32("general.file_type", *ftype);

  ThreadPool pool;
  TensorStore store;
  uint64_t seed = spec.seed;
  const float stddev = 0.02f;
  // Tensor types follow the quantizer's rules, so a random Q4_K file has llama.cpp's Q4_K_M mix.
  auto type_of = [&](const std::string& name, int64_t n_cols) {
    return quantized_tensor_type(name, 2, n_cols, spec.type, int(spec.n_layer), !spec.tied_embeddings)
        .value_or(GgmlType::F32);
  };
  auto matrix = [&](const std::string& name, int64_t n_cols, int64_t n_rows, float scale = 1.0f) {
    const GgmlType t = type_of(name, n_cols);
    return add_random_matrix(w, store, pool, name, n_cols, n_rows, t, stddev * scale, ++seed);
  };
  // The embedding table is read one row at a time; normal(0, 1) rows keep activations O(1).
  {
    const GgmlType t = type_of("token_embd.weight", spec.n_embd);
    Status s = add_random_matrix(w, store, pool, "token_embd.weight", spec.n_embd, n_vocab, t, 1.0f, ++seed);
    if (!s) return s;
  }
  const int64_t q_dim = spec.n_head * head_dim, kv_dim = spec.n_head_kv * head_dim;
  constexpr uint64_t kMatricesPerLayer = 7;
  for (int64_t l = 0; l < spec.n_layer; ++l) {
    if (l >= n_written) {  // a draft's missing layer: its seeds are drawn all the same
      seed += kMatricesPerLayer;
      continue;
    }
    const std::string p = fmt::format("blk.{}.", l);
    const float out_scale = spec.quiet_from >= 0 && l >= spec.quiet_from ? spec.quiet_scale : 1.0f;
    for (Status s : {add_ones(w, store, p + "attn_norm.weight", spec.n_embd),
                     matrix(p + "attn_q.weight", spec.n_embd, q_dim),
                     matrix(p + "attn_k.weight", spec.n_embd, kv_dim),
                     matrix(p + "attn_v.weight", spec.n_embd, kv_dim),
                     matrix(p + "attn_output.weight", q_dim, spec.n_embd, out_scale),
                     add_ones(w, store, p + "ffn_norm.weight", spec.n_embd),
                     matrix(p + "ffn_gate.weight", spec.n_embd, spec.n_ff),
                     matrix(p + "ffn_up.weight", spec.n_embd, spec.n_ff),
                     matrix(p + "ffn_down.weight", spec.n_ff, spec.n_embd, out_scale)}) {
      if (!s) return s;
    }
  }
  Status s = add_ones(w, store, "output_norm.weight", spec.n_embd);
  if (!s) return s;
  if (!spec.tied_embeddings) {
    s = matrix("output.weight", spec.n_embd, n_vocab);
    if (!s) return s;
  }
  return w.write(path);
}

Status write_random_model_like(const RandomModelSpec& spec, const std::string& template_path,
                               const std::string& path) {
  auto opened = GgufFile::open(template_path);
  if (!opened) return opened.error();
  const GgufFile& t = **opened;
  const auto arch_value = t.get_string("general.architecture");
  if (!arch_value) return make_error("{}: no general.architecture", template_path);
  const std::string arch = *arch_value;
  const int64_t D = spec.n_embd, F = spec.n_ff, H = spec.n_head, Hkv = spec.n_head_kv, L = spec.n_layer;
  const int64_t d = spec.head_dim > 0 ? spec.head_dim : D / H;
  if (d * H != D && !t.find(arch + ".attention.key_length"))
    return make_error("{} files have no attention.key_length: their head size is n_embd / n_head ({}), not {}", arch,
                      D / H, d);
  const auto old_ff = t.get_int(arch + ".feed_forward_length");
  if (!old_ff) return make_error("{}: no {}.feed_forward_length", template_path, arch);

  GgufWriter w;
  // The template's metadata, its shape and tokenizer replaced.
  for (const auto& kv : t.metadata())
    if (kv.key.rfind("tokenizer.", 0) != 0) w.set_value(kv.key, kv.value);
  w.set_string("general.name", spec.name);
  auto n_vocab = write_vocabulary(w, spec);
  if (!n_vocab) return n_vocab.error();
  const int64_t V = *n_vocab;
  auto set_if_present = [&](const std::string& key, int64_t value) {
    if (t.find(arch + "." + key)) w.set_u32(arch + "." + key, uint32_t(value));
  };
  w.set_u32(arch + ".embedding_length", uint32_t(D));
  w.set_u32(arch + ".block_count", uint32_t(L));
  w.set_u32(arch + ".feed_forward_length", uint32_t(F));
  w.set_u32(arch + ".attention.head_count", uint32_t(H));
  w.set_u32(arch + ".attention.head_count_kv", uint32_t(Hkv));
  w.set_u32(arch + ".context_length", uint32_t(spec.n_ctx));
  set_if_present("vocab_size", V);
  set_if_present("rope.dimension_count", d);
  set_if_present("attention.key_length", d);
  set_if_present("attention.value_length", d);
  if (spec.sliding_window > 0) set_if_present("attention.sliding_window", spec.sliding_window);
  if (const auto ftype = llama_file_type(spec.type)) w.set_u32("general.file_type", *ftype);

  const bool has_output = t.tensor("output.weight") != nullptr;
  ThreadPool pool;
  TensorStore store;
  uint64_t seed = spec.seed;
  auto matrix = [&](const std::string& name, int64_t n_cols, int64_t n_rows, float stddev) {
    const GgmlType type =
        quantized_tensor_type(name, 2, n_cols, spec.type, int(L), has_output).value_or(GgmlType::F32);
    return add_random_matrix(w, store, pool, name, n_cols, n_rows, type, stddev, ++seed);
  };
  // One tensor of the template, at the spec's shape under `name` (layer l's for a layer tensor).
  auto scaled = [&](const GgufTensorInfo& info, const std::string& name) -> Status {
    const std::string_view n = info.name;
    auto is = [&](std::string_view suffix) { return n.ends_with(suffix); };
    if (is("_norm.weight") || is("norm.weight")) return add_ones(w, store, name, D);
    if (is("_norm.bias")) return add_zeros(w, store, name, D);
    if (n == "token_embd.weight") return matrix(name, D, V, 1.0f);
    if (n == "output.weight") return matrix(name, D, V, 0.02f);
    const int64_t q = H * d, kv = Hkv * d, qkv = (H + 2 * Hkv) * d;
    if (is("attn_q.weight")) return matrix(name, D, q, 0.02f);
    if (is("attn_k.weight") || is("attn_v.weight")) return matrix(name, D, kv, 0.02f);
    if (is("attn_qkv.weight")) return matrix(name, D, qkv, 0.02f);
    if (is("attn_output.weight")) return matrix(name, q, D, 0.02f);
    if (is("attn_q.bias")) return add_zeros(w, store, name, q);
    if (is("attn_k.bias") || is("attn_v.bias")) return add_zeros(w, store, name, kv);
    if (is("attn_qkv.bias")) return add_zeros(w, store, name, qkv);
    if (is("attn_output.bias") || is("ffn_down.bias")) return add_zeros(w, store, name, D);
    if (is("ffn_gate.weight")) return matrix(name, D, F, 0.02f);
    // Phi-3 fuses gate and up into one ffn_up of 2 x n_ff rows.
    if (is("ffn_up.weight")) return matrix(name, D, info.ne.size() == 2 && info.ne[1] == 2 * *old_ff ? 2 * F : F, 0.02f);
    if (is("ffn_up.bias")) return add_zeros(w, store, name, info.ne[0] == 2 * *old_ff ? 2 * F : F);
    if (is("ffn_down.weight")) return matrix(name, F, D, 0.02f);
    return make_error("{}: cannot scale tensor '{}' to another shape", template_path, info.name);
  };
  // Tensors in the template's order: the global ones, and layer 0's once per layer.
  bool layers_written = false;
  for (const GgufTensorInfo& info : t.tensors()) {
    if (info.name.rfind("blk.", 0) != 0) {
      if (Status s = scaled(info, info.name); !s) return s;
      continue;
    }
    if (layers_written) continue;
    layers_written = true;
    for (int64_t l = 0; l < L; ++l)
      for (const GgufTensorInfo& layer : t.tensors())
        if (layer.name.rfind("blk.0.", 0) == 0)
          if (Status s = scaled(layer, fmt::format("blk.{}.{}", l, layer.name.substr(6))); !s) return s;
  }
  return w.write(path);
}

}  // namespace tachyon
