#include "gguf/model_quantizer.h"

#include <memory>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf/quantize.h"
#include "util/thread_pool.h"

namespace tachyon {
namespace {

// Version of the quantized block formats written (llama.cpp's GGML_QNT_VERSION).
constexpr uint32_t kQuantizationVersion = 2;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_low_bit(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1:
    case GgmlType::Q4_K: case GgmlType::Q5_K:
      return true;
    default:
      return false;
  }
}

// Layer index from "blk.N.…", or -1.
int layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int layer = 0;
  size_t i = 4;
  if (i >= name.size() || name[i] < '0' || name[i] > '9') return -1;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) layer = layer * 10 + (name[i] - '0');
  return layer;
}

// llama.cpp's _M mixes spend more bits on the first and last eighth of the layers and every
// third layer in between.
bool layer_gets_more_bits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// Converts one tensor row by row (through float32) into dst.
void convert_tensor(const GgufTensorInfo& t, GgmlType to, uint8_t* dst, ThreadPool& pool) {
  const int64_t row_length = t.ne[0];
  const size_t src_row_bytes = ggml_row_size(t.type, row_length);
  const size_t dst_row_bytes = ggml_row_size(to, row_length);
  std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()), std::vector<float>(row_length));
  pool.parallel_for(t.n_rows(), [&](int64_t begin, int64_t end, int thread) {
    float* row = scratch[static_cast<size_t>(thread)].data();
    for (int64_t r = begin; r < end; ++r) {
      dequantize_row(t.type, t.data + static_cast<size_t>(r) * src_row_bytes, row, row_length);
      quantize_row(to, row, dst + static_cast<size_t>(r) * dst_row_bytes, row_length);
    }
  });
}

}  // namespace

std::optional<uint32_t> llama_file_type(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::Q4_0: return 2;
    case GgmlType::Q4_1: return 3;
    case GgmlType::Q8_0: return 7;
    case GgmlType::Q5_0: return 8;
    case GgmlType::Q5_1: return 9;
    case GgmlType::Q4_K: return 15;
    case GgmlType::Q5_K: return 17;
    case GgmlType::Q6_K: return 18;
    case GgmlType::BF16: return 32;
    default: return std::nullopt;
  }
}

std::optional<GgmlType> quantized_tensor_type(std::string_view name, int n_dims, int64_t row_length,
                                              GgmlType type, int n_layers, bool has_output) {
  if (n_dims < 2) return GgmlType::F32;
  if (!ends_with(name, "weight")) return std::nullopt;
  GgmlType chosen = type;
  const bool is_output = name == "output.weight" || (!has_output && name == "token_embd.weight");
  if (is_output && is_low_bit(type)) chosen = GgmlType::Q6_K;
  if ((type == GgmlType::Q4_K || type == GgmlType::Q5_K) &&
      (ends_with(name, "attn_v.weight") || ends_with(name, "ffn_down.weight"))) {
    const int layer = layer_of(name);
    if (layer >= 0 && layer_gets_more_bits(layer, n_layers)) chosen = GgmlType::Q6_K;
  }
  if (row_length % ggml_traits(chosen).block_size != 0) return std::nullopt;
  return chosen;
}

Status quantize_model(const std::string& in_path, const std::string& out_path, GgmlType type, int n_threads) {
  const auto file_type = llama_file_type(type);
  if (!file_type) return make_error("cannot quantize a model to {}", ggml_type_name(type));
  auto opened = GgufFile::open(in_path);
  if (!opened) return opened.error();
  const std::shared_ptr<const GgufFile> in = *opened;

  GgufWriter writer;
  for (const auto& kv : in->metadata()) writer.set_value(kv.key, kv.value);
  writer.set_u32("general.file_type", *file_type);
  // llama-quantize records it for every output type, plain float ones included.
  writer.set_u32("general.quantization_version", kQuantizationVersion);

  const std::string arch = in->get_string("general.architecture").value_or("llama");
  const int n_layers = static_cast<int>(in->get_int(arch + ".block_count").value_or(0));
  const bool has_output = in->tensor("output.weight") != nullptr;

  ThreadPool pool(n_threads);
  // Converted tensors live here until write(); unchanged ones are referenced in the input mapping.
  std::vector<std::vector<uint8_t>> converted;
  converted.reserve(in->tensors().size());
  for (const auto& t : in->tensors()) {
    const auto target = quantized_tensor_type(t.name, static_cast<int>(t.ne.size()), t.ne[0], type, n_layers,
                                              has_output);
    const GgmlType to = target.value_or(t.type);
    Status s;
    if (to == t.type || !can_dequantize(t.type)) {
      s = writer.add_tensor(t.name, t.type, t.ne, t.data, t.n_bytes);
    } else {
      auto& out = converted.emplace_back(ggml_row_size(to, t.n_elements()));
      convert_tensor(t, to, out.data(), pool);
      s = writer.add_tensor(t.name, to, t.ne, out.data(), out.size());
    }
    if (!s) return make_error("{}: {}", in_path, s.error().message);
  }
  return writer.write(out_path);
}

}  // namespace tachyon
