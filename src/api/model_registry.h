#pragma once
// The models a server serves, by the name clients put in "model". Filled before the server
// starts, then read concurrently without locks (engines are themselves thread-safe).
#include <memory>
#include <string>
#include <vector>

#include "engine/embedding_engine.h"
#include "engine/engine.h"

namespace tachyon {

// A served model runs on exactly one of `engine` (a decoder: completions and chat) or
// `embedder` (an encoder: embeddings); the other is null.
struct ServedModel {
  std::string name;
  int64_t created = 0;  // Unix seconds the model was loaded
  std::shared_ptr<const ModelBundle> bundle;
  std::unique_ptr<Engine> engine;
  // Chat answers are grounded in the search index (retrieval, numbered sources, citations).
  bool grounded = false;
  std::unique_ptr<EmbeddingEngine> embedder;
};

class ModelRegistry {
 public:
  void add(ServedModel model) { models_.push_back(std::make_unique<ServedModel>(std::move(model))); }
  // nullptr when no model has that name.
  ServedModel* find(std::string_view name) const;
  const std::vector<std::unique_ptr<ServedModel>>& all() const { return models_; }
  std::vector<std::string> names() const;
  // Engine stats of the generation models (embedding models have none).
  std::vector<std::pair<std::string, EngineStats>> stats() const;
  // Stops every engine and embedder; in-flight requests finish until the deadline, then are cancelled.
  void shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  std::vector<std::unique_ptr<ServedModel>> models_;
};

}  // namespace tachyon
