#include "api/model_registry.h"

namespace tachyon {

ServedModel* ModelRegistry::find(std::string_view name) const {
  for (const auto& m : models_)
    if (m->name == name) return m.get();
  return nullptr;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& m : models_) out.push_back(m->name);
  return out;
}

std::vector<std::pair<std::string, EngineStats>> ModelRegistry::stats() const {
  std::vector<std::pair<std::string, EngineStats>> out;
  for (const auto& m : models_)
    if (m->engine) out.emplace_back(m->name, m->engine->stats());
  return out;
}

void ModelRegistry::shutdown(std::chrono::steady_clock::time_point deadline) {
  // Engines share the deadline, so they drain in parallel: ask all, then wait for each.
  for (const auto& m : models_)
    if (m->engine) m->engine->shutdown(deadline);
  for (const auto& m : models_)
    if (m->embedder) m->embedder->shutdown(deadline);
}

}  // namespace tachyon
