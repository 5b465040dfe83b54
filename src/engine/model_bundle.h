#pragma once
// Everything one served model needs, loaded from one GGUF file: the mapping, the weights and the
// tokenizer. Immutable after load; shared by every request on that model.
#include <memory>
#include <string>

#include "gguf/gguf_file.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace tachyon {

struct ModelBundle {
  std::string path;
  std::shared_ptr<const GgufFile> file;
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// Opens, checks and maps a model file; every problem is one Error naming it.
Result<std::unique_ptr<ModelBundle>> load_model_bundle(const std::string& path);

}  // namespace tachyon
