#include "engine/text_embedder.h"

#include <future>

namespace tachyon {

std::vector<int32_t> embedding_tokens(const Tokenizer& tokenizer, const std::string& text) {
  return tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/true);
}

void truncate_embedding_input(std::vector<int32_t>& input, int64_t n_ctx) {
  if (int64_t(input.size()) <= n_ctx || n_ctx <= 0) return;
  const int32_t last = input.back();
  input.resize(size_t(n_ctx));
  input.back() = last;
}

Result<std::vector<std::vector<float>>> embed_texts(EmbeddingEngine& engine, std::span<const std::string> texts) {
  using Vectors = std::vector<std::vector<float>>;
  if (texts.empty()) return Vectors{};
  const Tokenizer& tokenizer = *engine.bundle().tokenizer;
  EmbeddingRequest request;
  for (const std::string& text : texts) {
    request.inputs.push_back(embedding_tokens(tokenizer, text));
    truncate_embedding_input(request.inputs.back(), engine.n_ctx());
  }
  auto done = std::make_shared<std::promise<Result<Vectors>>>();
  std::future<Result<Vectors>> result = done->get_future();
  if (Status s = engine.submit(std::move(request), [done](Result<Vectors>&& r) { done->set_value(std::move(r)); }); !s)
    return s.error();
  return result.get();
}

Result<std::vector<float>> embed_text(EmbeddingEngine& engine, const std::string& text) {
  auto vectors = embed_texts(engine, std::span(&text, 1));
  if (!vectors) return vectors.error();
  return std::move(vectors->front());
}

}  // namespace tachyon
