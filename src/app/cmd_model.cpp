// `tachyon model info FILE` and `tachyon model make-random ...`.
#include <fmt/format.h>

#include "app/commands.h"
#include "gguf/gguf_file.h"
#include "model/encoder.h"
#include "model/load_model.h"
#include "model/random_model.h"

namespace tachyon::app {
namespace {

std::string format_value(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::STRING:
      return v.s.size() > 120 ? fmt::format("\"{}...\" ({} bytes)", v.s.substr(0, 117), v.s.size())
                              : fmt::format("\"{}\"", v.s);
    case GgufValueType::ARRAY: {
      std::string out = fmt::format("[{} x {}]", v.array.size(), gguf_value_type_name(v.array_type));
      if (v.array_type != GgufValueType::ARRAY && !v.array.empty()) {
        out += " ";
        for (size_t i = 0; i < std::min<size_t>(4, v.array.size()); ++i)
          out += (i ? ", " : "") + format_value(v.array[i]);
        if (v.array.size() > 4) out += ", ...";
      }
      return out;
    }
    case GgufValueType::BOOL:
      return v.u ? "true" : "false";
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64:
      return fmt::format("{}", v.f);
    default:
      return fmt::format("{}", *v.as_int());
  }
}

void model_info(const std::string& path) {
  auto file = GgufFile::open(path);
  if (!file) fail(file.error().message);
  const GgufFile& f = **file;
  fmt::print("file: {}\nGGUF version: {}\nsize: {} bytes\nalignment: {}\n\nmetadata ({} keys):\n", path,
             f.version(), f.file_size(), f.alignment(), f.metadata().size());
  for (const auto& kv : f.metadata())
    fmt::print("  {:<45} {:<4} {}\n", kv.key, gguf_value_type_name(kv.value.type), format_value(kv.value));
  std::map<std::string, int> type_counts;
  size_t total_bytes = 0;
  int64_t total_params = 0;
  fmt::print("\ntensors ({}):\n", f.tensors().size());
  for (const auto& t : f.tensors()) {
    fmt::print("  {:<32} {:<5} [{}] {} bytes\n", t.name, ggml_type_name(t.type), fmt::join(t.ne, ", "), t.n_bytes);
    ++type_counts[std::string(ggml_type_name(t.type))];
    total_bytes += t.n_bytes;
    total_params += t.n_elements();
  }
  fmt::print("\ntensor types:");
  for (const auto& [name, n] : type_counts) fmt::print(" {}={}", name, n);
  fmt::print("\nparameters: {} ({:.1f} M), tensor data {:.1f} MiB\n", total_params, total_params / 1e6,
             total_bytes / 1048576.0);
  if (is_encoder_architecture(f.get_string("general.architecture").value_or(""))) {
    auto encoder = load_encoder(*file);
    if (!encoder) fail(encoder.error().message);
    const auto& h = (*encoder)->hparams();
    fmt::print("architecture: {} (encoder: embeddings only) | layers {} | dim {} | heads {} | ffn {} | vocab {} | ctx {} "
               "| pooling {} | {} attention\n",
               h.architecture, h.n_layer, h.n_embd, h.n_head, h.n_ff, h.n_vocab, h.n_ctx_train,
               pooling_name((*encoder)->pooling()), (*encoder)->causal() ? "causal" : "bidirectional");
    return;
  }
  auto model = load_model(*file);
  if (!model) fail(model.error().message);
  const auto& h = (*model)->hparams();
  fmt::print("architecture: {} | layers {} | dim {} | heads {} (kv {}) | head dim {} | ffn {} | vocab {} | ctx {} | "
             "rope base {}{}\n",
             h.architecture, h.n_layer, h.n_embd, h.n_head, h.n_head_kv, h.head_dim, h.n_ff, h.n_vocab, h.n_ctx_train,
             h.rope_freq_base, (*model)->tied_embeddings() ? " | tied embeddings" : "");
  for (const std::string& setting : (*model)->unsupported_settings())
    fmt::print("not supported yet: {}\n", setting);
}

}  // namespace

void add_model_command(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect or create GGUF model files");
  model->require_subcommand(1);

  auto* info = model->add_subcommand("info", "Print a GGUF file's metadata, tensors and hyper-parameters");
  auto path = std::make_shared<std::string>();
  info->add_option("file", *path, "GGUF file")->required();
  info->callback([path] { model_info(*path); });

  auto* make = model->add_subcommand("make-random", "Write a random-weight model (for benchmarks and tests): llama, or --like another architecture's file");
  struct Opts {
    std::string shape = "tiny", dims, type = "f32", out, vocab, name, like;
    uint64_t seed = 42;
    bool tied = false;
    int64_t quiet_from = -1, keep_layers = 0;
    float quiet_scale = 1.0f;
  };
  auto o = std::make_shared<Opts>();
  make->add_option("--shape", o->shape, "Named shape: tinyllama-1.1b | llama2-7b | tiny")->capture_default_str();
  make->add_option("--dims", o->dims, "Overrides: n_embd=..,n_layer=..,n_head=..,n_head_kv=..,n_ff=..,n_vocab=..,n_ctx=..,"
                                      "head_dim=..,sliding_window=..");
  make->add_option("--like", o->like, "Another architecture: a small GGUF of it (qwen2, phi3, gemma2, mpt, ...) whose "
                                      "metadata and tensors are scaled to the shape");
  make->add_option("--type", o->type, "Weight type: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K")->capture_default_str();
  make->add_option("--vocab", o->vocab, "Copy the tokenizer from this GGUF (vocab size follows it)");
  make->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  make->add_option("--name", o->name, "general.name");
  make->add_flag("--tied", o->tied, "Tie output and embedding weights");
  make->add_option("--quiet-from", o->quiet_from,
                   "Draft-model pairs: layers from this one on have their output projections scaled by --quiet-scale");
  make->add_option("--quiet-scale", o->quiet_scale,
                   "Scale of those projections (0: the layers change nothing, so the first --quiet-from layers "
                   "predict the model exactly)")
      ->capture_default_str();
  make->add_option("--keep-layers", o->keep_layers,
                   "Write only the first N layers, with the same weights (the draft of the same command without it)")
      ->check(CLI::PositiveNumber);
  make->add_option("-o,--output", o->out, "Output file")->required();
  make->callback([o] {
    auto spec = random_model_shape(o->shape);
    if (!spec) fail(fmt::format("unknown shape '{}' (tinyllama-1.1b, llama2-7b, tiny)", o->shape));
    if (!o->dims.empty()) {
      Status s = apply_dims(*spec, o->dims);
      if (!s) fail(s.error().message);
    }
    const auto type = ggml_type_from_name(o->type);
    if (!type) fail(fmt::format("unknown type '{}'", o->type));
    spec->type = *type;
    spec->seed = o->seed;
    spec->tied_embeddings = o->tied;
    if (!o->name.empty()) spec->name = o->name;
    if (!o->vocab.empty()) spec->vocab_path = o->vocab;
    spec->quiet_from = o->quiet_from;
    spec->quiet_scale = o->quiet_scale;
    spec->keep_layers = o->keep_layers;
    if (!o->like.empty() && (o->quiet_from >= 0 || o->keep_layers > 0))
      fail("--quiet-from and --keep-layers make llama models only (not with --like)");
    Status s = o->like.empty() ? write_random_model(*spec, o->out) : write_random_model_like(*spec, o->like, o->out);
    if (!s) fail(s.error().message);
    fmt::print("wrote {}\n", o->out);
  });
}

}  // namespace tachyon::app
