#pragma once
// Encoder models (BERT and its kin): token ids in, one hidden state per token out, pooled into
// one embedding vector per input. Unlike a decoder (CpuModel) an encoder keeps no KV cache
// between calls and has no output matrix: every call runs its inputs from scratch with
// bidirectional attention inside each input. Each architecture derives from Encoder in its own
// files (bert_model.h, ...).
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/model_hparams.h"
#include "util/result.h"
#include "util/thread_pool.h"

namespace tachyon {

// How the hidden states of one input become its embedding; the values are GGUF's
// <arch>.pooling_type numbers (llama.cpp's LLAMA_POOLING_TYPE_*).
enum class Pooling { none = 0, mean = 1, cls = 2, last = 3 };

// "none", "mean", "cls", "last".
std::string_view pooling_name(Pooling pooling);

// One input's result: the hidden states (Pooling::none) or the pooled vector (any other).
struct EncoderOutput {
  int64_t n_tokens = 0;
  std::vector<float> hidden;  // (n_tokens, n_embd) with Pooling::none, else empty
  std::vector<float> pooled;  // (n_embd), before any normalisation; empty with Pooling::none
};

class Encoder {
 public:
  virtual ~Encoder() = default;

  virtual const ModelHParams& hparams() const = 0;
  // The pooling the file asks for (<arch>.pooling_type; mean when the key is absent).
  virtual Pooling pooling() const = 0;
  // True when each token attends only to itself and earlier tokens (<arch>.attention.causal).
  virtual bool causal() const = 0;
  int64_t n_embd() const { return hparams().n_embd; }
  // The longest input, in tokens (<arch>.context_length: the rows of the position table).
  int64_t n_ctx() const { return hparams().n_ctx_train; }

  // Runs every input (token ids, [CLS] ... [SEP] included) and pools each one's hidden states.
  // Inputs are packed into forward passes of bounded size; each input's result is
  // bit-identical whatever else is run with it. Errors: an empty input, one longer than
  // n_ctx(), a token id outside the vocabulary. Called from one thread at a time per pool.
  virtual Result<std::vector<EncoderOutput>> embed(std::span<const std::vector<int32_t>> inputs, Pooling pooling,
                                                   ThreadPool& pool) const = 0;
};

// The pooled vector (n_embd) of hidden states (n_tokens, n_embd): their mean (summed in
// double), the first token's ([CLS]) or the last token's. Pooling::none is not a pooling.
std::vector<float> pool_hidden_states(const float* hidden, int64_t n_tokens, int64_t n_embd, Pooling pooling);

// Every input has at least one token, at most n_ctx, and only ids below n_vocab; the error
// names the first input that does not.
Status check_encoder_inputs(std::span<const std::vector<int32_t>> inputs, int64_t n_ctx, int64_t n_vocab);

// Scales v to Euclidean norm 1 as llama.cpp's common_embd_normalize does: squares summed in
// double, each value multiplied by the float 1 / norm. A zero vector stays zero.
void l2_normalize(std::span<float> v);

// The encoder architectures this build runs.
std::vector<std::string> supported_encoder_architectures();
bool is_encoder_architecture(std::string_view architecture);

// The encoder for a file whose general.architecture is an encoder's; errors name the file and
// the missing or malformed key or tensor.
Result<std::unique_ptr<Encoder>> load_encoder(std::shared_ptr<const GgufFile> file);

}  // namespace tachyon
