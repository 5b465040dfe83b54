#include "model/tensor_binder.h"

#include <cassert>

#include <fmt/format.h>

#include "gguf/quantize.h"
#include "kernels/packed_weights.h"
#include "kernels/vec_dot.h"

namespace tachyon {

Result<WeightMatrix> TensorBinder::matrix(const std::string& name, int64_t n_cols, int64_t n_rows) const {
  const GgufTensorInfo* t = file_.tensor(name);
  if (!t) return make_error("{}: missing tensor '{}'", file_.path(), name);
  if (t->ne.size() != 2 || t->ne[0] != n_cols || t->ne[1] != n_rows)
    return make_error("{}: tensor '{}' has shape {} but [{}, {}] was expected", file_.path(), name,
                      fmt::join(t->ne, "x"), n_cols, n_rows);
  if (!supports_weight_type(t->type))
    return make_error("{}: tensor '{}' has type {}, which the engine cannot multiply", file_.path(), name,
                      ggml_type_name(t->type));
  return WeightMatrix{t->type, t->data, n_rows, n_cols, ggml_row_size(t->type, n_cols)};
}

Result<std::vector<float>> TensorBinder::vector(const std::string& name, int64_t n) const {
  const GgufTensorInfo* t = file_.tensor(name);
  if (!t) return make_error("{}: missing tensor '{}'", file_.path(), name);
  if (t->n_elements() != n)
    return make_error("{}: tensor '{}' has {} elements but {} were expected", file_.path(), name, t->n_elements(),
                      n);
  if (!can_dequantize(t->type))
    return make_error("{}: tensor '{}' has unsupported type {}", file_.path(), name, ggml_type_name(t->type));
  std::vector<float> out(n);
  dequantize_row(t->type, t->data, out.data(), n);
  return out;
}

Result<WeightMatrix> TensorBinder::embeddings(const std::string& name, int64_t n_embd, int64_t& n_vocab) const {
  const GgufTensorInfo* t = file_.tensor(name);
  if (!t || t->ne.size() != 2 || t->ne[0] != n_embd)
    return make_error("{}: missing or misshapen tensor '{}'", file_.path(), name);
  if (n_vocab == 0) n_vocab = t->ne[1];
  if (t->ne[1] != n_vocab)
    return make_error("{}: {} has {} rows but the vocabulary has {} tokens", file_.path(), name, t->ne[1], n_vocab);
  if (!can_dequantize(t->type))
    return make_error("{}: {} has unsupported type {}", file_.path(), name, ggml_type_name(t->type));
  file_.prefault(*t);
  return WeightMatrix{t->type, t->data, n_vocab, n_embd, ggml_row_size(t->type, n_embd)};
}

Result<WeightMatrix> TensorBinder::output_or_tied(const WeightMatrix& token_embd, bool& tied) const {
  tied = !has("output.weight");
  if (!tied) return matrix("output.weight", token_embd.n_cols, token_embd.n_rows);
  if (!supports_weight_type(token_embd.type))
    return make_error("{}: tied output uses token_embd.weight of type {}, which the engine cannot multiply",
                      file_.path(), ggml_type_name(token_embd.type));
  return token_embd;
}

WeightMatrix row_range(const WeightMatrix& m, int64_t first_row, int64_t n_rows) {
  assert(first_row >= 0 && n_rows >= 0 && first_row + n_rows <= m.n_rows && !m.packed);
  WeightMatrix part = m;
  part.data = static_cast<const uint8_t*>(m.data) + size_t(first_row) * m.row_bytes;
  part.n_rows = n_rows;
  part.packed = nullptr;
  return part;
}

void pack_weight(WeightMatrix& m, std::vector<std::shared_ptr<const void>>& owned) {
  std::shared_ptr<const void> copy = pack_rows(m.type, m.data, m.n_rows, m.n_cols);
  if (!copy) return;
  m.packed = copy.get();
  owned.push_back(std::move(copy));
}

}  // namespace tachyon
