#pragma once
// Binds a model's GGUF tensors to weight views, checking each one's presence, shape and type;
// every problem is one Error naming the file and the tensor.
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "util/result.h"

namespace tachyon {

class TensorBinder {
 public:
  explicit TensorBinder(const GgufFile& file) : file_(file) {}

  // A (n_rows, n_cols) matrix (GGUF ne = [n_cols, n_rows]) of a type the matmul kernels take,
  // viewed in the mapping.
  Result<WeightMatrix> matrix(const std::string& name, int64_t n_cols, int64_t n_rows) const;
  // A tensor of n elements (any shape) of a type that dequantizes, copied out as floats.
  Result<std::vector<float>> vector(const std::string& name, int64_t n) const;
  // The token embedding table (n_vocab, n_embd), any type that dequantizes (rows are looked up,
  // not multiplied, straight from the mapping, whose pages it maps now); sets n_vocab from the
  // table when it is 0.
  Result<WeightMatrix> embeddings(const std::string& name, int64_t n_embd, int64_t& n_vocab) const;
  // The output projection (n_vocab, n_embd): output.weight when the file has one, else
  // token_embd itself (tied embeddings; its type must then be one the matmul kernels take).
  Result<WeightMatrix> output_or_tied(const WeightMatrix& token_embd, bool& tied) const;
  bool has(const std::string& name) const { return file_.tensor(name) != nullptr; }

 private:
  const GgufFile& file_;
};

// Rows [first_row, first_row + n_rows) of m as a matrix of their own: one part of a fused tensor
// (attn_qkv, a gate+up ffn_up). Take the parts before packing; each part is then packed alone.
WeightMatrix row_range(const WeightMatrix& m, int64_t first_row, int64_t n_rows);

// Gives m a packed copy when its type has a packed layout; `owned` keeps the copy alive.
void pack_weight(WeightMatrix& m, std::vector<std::shared_ptr<const void>>& owned);

// Moves r's value into out, or returns its error: for loading many tensors in one loop.
template <typename T>
Status take(Result<T> r, T& out) {
  if (!r) return r.error();
  out = std::move(*r);
  return Status::success();
}

}  // namespace tachyon
