#pragma once
// The models a server serves, by the name clients put in "model". Models can be added while the
// server runs (POST /admin/models loads one: its name answers 503 until it is ready) and removed
// (DELETE /admin/models/{name}: new requests no longer find it; requests that hold it finish).
// Every method is thread-safe; lookups hand out shared ownership, so a request keeps its model
// alive until it ends even if the model is removed meanwhile.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
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
  std::string path;  // the file it was loaded from
  // Its embeddings may be shortened (`dimensions`): the model was trained Matryoshka-style, so a
  // vector's first values are an embedding themselves. Declared by the operator (--matryoshka).
  bool matryoshka = false;

  // Stops accepting; in-flight requests finish until the deadline, then are cancelled.
  void shutdown(std::chrono::steady_clock::time_point deadline);
};

// A model being loaded by the admin API, or whose load failed (kept to be reported once listed).
struct PendingModel {
  std::string name;
  std::string path;
  int64_t since = 0;  // Unix seconds the load started
  std::string error;  // empty while loading
};

class ModelRegistry {
 public:
  // Adds a ready model; an error when the name is taken (served or loading).
  Status add(ServedModel model);
  // nullptr when no ready model has that name.
  std::shared_ptr<ServedModel> find(std::string_view name) const;
  // The ready models, in the order they were added.
  std::vector<std::shared_ptr<ServedModel>> all() const;
  std::vector<std::string> names() const;
  // Engine stats of the generation models (embedding models have none).
  std::vector<std::pair<std::string, EngineStats>> stats() const;

  // Reserves `name` for a model being loaded; an error when it is taken. A failed earlier load
  // of the same name is forgotten.
  Status begin_load(const std::string& name, const std::string& path, int64_t now);
  // Ends a load begun with begin_load: the model becomes ready, or the error is kept.
  void finish_load(const std::string& name, Result<ServedModel> loaded);
  bool is_loading(std::string_view name) const;
  // Loads in progress and loads that failed.
  std::vector<PendingModel> pending() const;

  // Takes a ready model out of the lookup (nullptr when there is none of that name); the caller
  // drains it. Requests already holding it keep it alive until they end.
  std::shared_ptr<ServedModel> remove(std::string_view name);
  // Stops every engine and embedder; in-flight requests finish until the deadline, then are cancelled.
  void shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  bool taken(std::string_view name) const;  // mutex_ held

  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<ServedModel>> models_;
  std::map<std::string, PendingModel, std::less<>> pending_;
};

// The ready model of that name; else 503 (model_loading) while the admin API loads it, or 404
// naming the served models that `listed` accepts (all when it is empty).
Result<std::shared_ptr<ServedModel>> find_served(const ModelRegistry& models, std::string_view name,
                                                 const std::function<bool(std::string_view)>& listed = {});

}  // namespace tachyon
