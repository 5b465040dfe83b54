#include "app/local_embedder.h"

#include <filesystem>

#include "app/commands.h"
#include "engine/text_embedder.h"

namespace tachyon::app {

LocalEmbedder open_embedder_or_fail(const std::string& path, int threads) {
  auto bundle = load_model_bundle(path, Device::Cpu);
  if (!bundle) fail(bundle.error().message);
  EmbeddingEngineConfig config;
  config.n_threads = threads;
  auto engine = EmbeddingEngine::create(std::move(*bundle), config);
  if (!engine) fail(fmt::format("{}: {}", path, engine.error().message));
  return {std::filesystem::path(path).stem().string(), std::move(*engine)};
}

search::QueryEmbedder query_embedder(EmbeddingEngine& engine) {
  return [&engine](const search::VectorSpace&, const std::string& text) { return embed_text(engine, text); };
}

}  // namespace tachyon::app
