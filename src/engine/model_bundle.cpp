#include "engine/model_bundle.h"

namespace tachyon {

Result<std::unique_ptr<ModelBundle>> load_model_bundle(const std::string& path) {
  auto file = GgufFile::open(path);
  if (!file) return file.error();
  auto model = LlamaModel::load(*file);
  if (!model) return model.error();
  auto tokenizer = Tokenizer::from_gguf(**file);
  if (!tokenizer) return make_error("{}: {}", path, tokenizer.error().message);
  if ((*tokenizer)->n_vocab() != (*model)->hparams().n_vocab)
    return make_error("{}: tokenizer has {} tokens but the model's vocabulary is {}", path,
                      (*tokenizer)->n_vocab(), (*model)->hparams().n_vocab);
  auto bundle = std::make_unique<ModelBundle>();
  bundle->path = path;
  bundle->file = std::move(*file);
  bundle->model = std::move(*model);
  bundle->tokenizer = std::move(*tokenizer);
  return bundle;
}

}  // namespace tachyon
