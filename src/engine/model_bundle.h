#pragma once
// Everything one served model needs, loaded from one GGUF file: the mapping, the weights and the
// tokenizer. A bundle holds a decoder (text generation: `model`) or an encoder (embeddings:
// `encoder`), never both. Immutable after load; shared by every request on that model.
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "constrain/token_vocabulary.h"
#include "engine/constraint_cache.h"
#include "frontend/chat_template.h"
#include "backend/device.h"
#include "gguf/gguf_file.h"
#include "model/cpu_model.h"
#include "model/encoder.h"
#include "tokenizer/tokenizer.h"

namespace tachyon {

struct ModelBundle {
  std::string path;
  std::shared_ptr<const GgufFile> file;
  std::unique_ptr<CpuModel> model;             // a decoder: hyper-parameters and the CPU forward pass
  std::unique_ptr<Encoder> encoder;            // an encoder (embedding model), on the CPU; null for decoders
  std::unique_ptr<ForwardPass> device_forward;  // the forward pass on an accelerator, when one was asked for
  std::unique_ptr<Tokenizer> tokenizer;
  // The file's tokenizer.chat_template, else ChatML; nullopt for encoders, which have no chat.
  std::optional<ChatTemplate> chat_template;
  std::string chat_template_error;            // why the file's template was not usable, if it was not

  // True for an embedding model: it serves embeddings and cannot generate text.
  // A decoder's embeddings (its final hidden states, mean-pooled; model/decoder_embedder.h);
  // null for encoders.
  std::unique_ptr<Encoder> decoder_embedder;

  bool is_encoder() const { return encoder != nullptr; }
  // What POST /v1/embeddings runs: the encoder, else the decoder's embedder; null if neither.
  const Encoder* embedding_model() const { return encoder ? encoder.get() : decoder_embedder.get(); }
  // The hyper-parameters of the decoder or the encoder.
  const ModelHParams& hparams() const { return encoder ? encoder->hparams() : model->hparams(); }

  // Where generation runs: the accelerator's forward pass if there is one, else the CPU's.
  // Decoders only (callers check is_encoder() first).
  const ForwardPass& forward() const { return device_forward ? *device_forward : *model; }

  // The conversation as prompt text, with the model's BOS/EOS strings bound in the template;
  // tools (OpenAI's `tools` array, or null) are passed to a template that takes them.
  Result<std::string> render_chat(std::span<const ChatMessage> messages,
                                  const nlohmann::ordered_json& tools = nullptr) const;

  // Every token's bytes and the end-of-generation ids, for constrained decoding; built on first
  // use (thread-safe), then shared by every constrained request on this model.
  std::shared_ptr<const TokenVocabulary> token_vocabulary() const;

  // Compiled constraints (response_format, forced tool calls) with their masks, shared by this
  // model's requests.
  mutable ConstraintCache constraints;

 private:
  mutable std::once_flag token_vocabulary_once_;
  mutable std::shared_ptr<const TokenVocabulary> token_vocabulary_;
};

// Opens, checks and maps a model file and, for an accelerator, uploads its weights; every problem
// is one Error naming it. Encoders always run on the CPU, whatever `device` says.
Result<std::unique_ptr<ModelBundle>> load_model_bundle(const std::string& path, Device device = Device::Cpu);

}  // namespace tachyon
