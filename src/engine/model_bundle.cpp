#include "engine/model_bundle.h"

#include "model/decoder_embedder.h"
#include "model/load_model.h"

namespace tachyon {

namespace {

// An embedding model: the encoder and its tokenizer; no chat template, no device upload.
Result<std::unique_ptr<ModelBundle>> load_encoder_bundle(const std::string& path, std::shared_ptr<const GgufFile> file) {
  auto encoder = load_encoder(file);
  if (!encoder) return encoder.error();
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer) return make_error("{}: {}", path, tokenizer.error().message);
  if ((*tokenizer)->n_vocab() != (*encoder)->hparams().n_vocab)
    return make_error("{}: tokenizer has {} tokens but the model's vocabulary is {}", path,
                      (*tokenizer)->n_vocab(), (*encoder)->hparams().n_vocab);
  auto bundle = std::make_unique<ModelBundle>();
  bundle->path = path;
  bundle->file = std::move(file);
  bundle->encoder = std::move(*encoder);
  bundle->tokenizer = std::move(*tokenizer);
  return bundle;
}

}  // namespace

Result<std::unique_ptr<ModelBundle>> load_model_bundle(const std::string& path, Device device) {
  auto file = GgufFile::open(path);
  if (!file) return file.error();
  if (is_encoder_architecture((*file)->get_string("general.architecture").value_or("")))
    return load_encoder_bundle(path, std::move(*file));
  auto model = load_model(*file);
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
  // Embeddings: the decoder's mean-pooled final hidden states.
  bundle->decoder_embedder = std::make_unique<DecoderEmbedder>(*bundle->model);
  bundle->tokenizer = std::move(*tokenizer);
  if (device != Device::Cpu) {
    auto forward = make_device_forward(*bundle->model, device);
    if (!forward) return make_error("{}: {}", path, forward.error().message);
    bundle->device_forward = std::move(*forward);
  }
  const auto source = bundle->file->get_string("tokenizer.chat_template");
  auto tmpl = source ? ChatTemplate::parse(*source) : builtin_chat_template("chatml");
  if (!tmpl) {
    // A template we cannot parse must not make the model unusable for plain completions.
    bundle->chat_template_error = tmpl.error().message;
    tmpl = builtin_chat_template("chatml");
    if (!tmpl) return make_error("{}: chat template: {}", path, tmpl.error().message);
  }
  bundle->chat_template = std::move(*tmpl);
  return bundle;
}

std::shared_ptr<const TokenVocabulary> ModelBundle::token_vocabulary() const {
  std::call_once(token_vocabulary_once_, [this] {
    const int32_t n = tokenizer->n_vocab();
    std::vector<std::string> bytes(static_cast<size_t>(n));
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < n; ++id) {
      if (tokenizer->is_eog(id)) eog.push_back(id);
      // Control tokens have no bytes and can never be part of a constrained output.
      if (!tokenizer->is_control(id)) bytes[size_t(id)] = tokenizer->token_to_piece(id);
    }
    token_vocabulary_ = std::make_shared<const TokenVocabulary>(std::move(bytes), std::move(eog));
  });
  return token_vocabulary_;
}

Result<std::string> ModelBundle::render_chat(std::span<const ChatMessage> messages,
                                             const nlohmann::ordered_json& tools) const {
  if (!chat_template) return make_error("{} is an embedding model: it has no chat template", path);
  ChatTemplateOptions opts;
  opts.tools = tools;
  if (tokenizer->bos_id() >= 0) opts.bos_token = std::string(tokenizer->token_text(tokenizer->bos_id()));
  if (tokenizer->eos_id() >= 0) opts.eos_token = std::string(tokenizer->token_text(tokenizer->eos_id()));
  return chat_template->render(messages, opts);
}

}  // namespace tachyon
