#pragma once
// The models a server serves, by the name clients put in "model". Filled before the server
// starts, then read concurrently without locks (engines are themselves thread-safe).
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace tachyon {

struct ServedModel {
  std::string name;
  int64_t created = 0;  // Unix seconds the model was loaded
  std::shared_ptr<const ModelBundle> bundle;
  std::unique_ptr<Engine> engine;
  // Chat answers are grounded in the search index (retrieval, numbered sources, citations).
  bool grounded = false;
};

class ModelRegistry {
 public:
  void add(ServedModel model) { models_.push_back(std::make_unique<ServedModel>(std::move(model))); }
  // nullptr when no model has that name.
  ServedModel* find(std::string_view name) const;
  const std::vector<std::unique_ptr<ServedModel>>& all() const { return models_; }
  std::vector<std::string> names() const;
  std::vector<std::pair<std::string, EngineStats>> stats() const;
  // Stops every engine; in-flight requests finish until the deadline, then are cancelled.
  void shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  std::vector<std::unique_ptr<ServedModel>> models_;
};

}  // namespace tachyon
