#pragma once
// Everything one served model needs, loaded from one GGUF file: the mapping, the weights and the
// tokenizer. Immutable after load; shared by every request on that model.
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "frontend/chat_template.h"
#include "gguf/gguf_file.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace tachyon {

struct ModelBundle {
  std::string path;
  std::shared_ptr<const GgufFile> file;
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;  // the file's tokenizer.chat_template, else ChatML
  std::string chat_template_error;            // why the file's template was not usable, if it was not

  // The conversation as prompt text, with the model's BOS/EOS strings bound in the template.
  Result<std::string> render_chat(std::span<const ChatMessage> messages) const;
};

// Opens, checks and maps a model file; every problem is one Error naming it.
Result<std::unique_ptr<ModelBundle>> load_model_bundle(const std::string& path);

}  // namespace tachyon
