#include "api/model_registry.h"

#include <algorithm>
#include <mutex>

#include <fmt/ranges.h>

#include "api/api_error.h"

namespace tachyon {

void ServedModel::shutdown(std::chrono::steady_clock::time_point deadline) {
  if (engine) engine->shutdown(deadline);
  if (embedder) embedder->shutdown(deadline);
}

bool ModelRegistry::taken(std::string_view name) const {
  const auto pending = pending_.find(name);
  if (pending != pending_.end() && pending->second.error.empty()) return true;
  return std::any_of(models_.begin(), models_.end(), [&](const auto& m) { return m->name == name; });
}

Status ModelRegistry::add(ServedModel model) {
  std::unique_lock lock(mutex_);
  if (taken(model.name))
    return Error{fmt::format("a model named '{}' is already served or loading", model.name), ErrorKind::Conflict,
                 "name"};
  pending_.erase(model.name);
  models_.push_back(std::make_shared<ServedModel>(std::move(model)));
  return Status::success();
}

std::shared_ptr<ServedModel> ModelRegistry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  for (const auto& m : models_)
    if (m->name == name) return m;
  return nullptr;
}

std::vector<std::shared_ptr<ServedModel>> ModelRegistry::all() const {
  std::shared_lock lock(mutex_);
  return models_;
}

std::vector<std::string> ModelRegistry::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& m : models_) out.push_back(m->name);
  return out;
}

std::vector<std::pair<std::string, EngineStats>> ModelRegistry::stats() const {
  std::vector<std::pair<std::string, EngineStats>> out;
  for (const auto& m : all())
    if (m->engine) out.emplace_back(m->name, m->engine->stats());
  return out;
}

Status ModelRegistry::begin_load(const std::string& name, const std::string& path, int64_t now) {
  std::unique_lock lock(mutex_);
  if (taken(name))
    return Error{fmt::format("a model named '{}' is already served or loading", name), ErrorKind::Conflict, "name"};
  pending_[name] = PendingModel{name, path, now, {}};
  return Status::success();
}

void ModelRegistry::finish_load(const std::string& name, Result<ServedModel> loaded) {
  std::unique_lock lock(mutex_);
  const auto it = pending_.find(name);
  if (!loaded) {
    if (it != pending_.end()) it->second.error = loaded.error().message;
    return;
  }
  if (it != pending_.end()) pending_.erase(it);
  models_.push_back(std::make_shared<ServedModel>(std::move(*loaded)));
}

bool ModelRegistry::is_loading(std::string_view name) const {
  std::shared_lock lock(mutex_);
  const auto it = pending_.find(name);
  return it != pending_.end() && it->second.error.empty();
}

std::vector<PendingModel> ModelRegistry::pending() const {
  std::shared_lock lock(mutex_);
  std::vector<PendingModel> out;
  for (const auto& [name, p] : pending_) out.push_back(p);
  return out;
}

std::shared_ptr<ServedModel> ModelRegistry::remove(std::string_view name) {
  std::unique_lock lock(mutex_);
  const auto it = std::find_if(models_.begin(), models_.end(), [&](const auto& m) { return m->name == name; });
  if (it == models_.end()) return nullptr;
  std::shared_ptr<ServedModel> model = *it;
  models_.erase(it);
  return model;
}

void ModelRegistry::shutdown(std::chrono::steady_clock::time_point deadline) {
  // Engines share the deadline, so they drain in parallel: ask all, then wait for each.
  const auto models = all();
  for (const auto& m : models)
    if (m->engine) m->engine->shutdown(deadline);
  for (const auto& m : models)
    if (m->embedder) m->embedder->shutdown(deadline);
}

Result<std::shared_ptr<ServedModel>> find_served(const ModelRegistry& models, std::string_view name,
                                                 const std::function<bool(std::string_view)>& listed) {
  if (auto model = models.find(name)) return model;
  if (models.is_loading(name)) return model_loading(name);
  Error e = model_not_found(name);
  std::vector<std::string> names = models.names();
  if (listed) std::erase_if(names, [&](const std::string& n) { return !listed(n); });
  e.message += fmt::format(" (available: {})", fmt::join(names, ", "));
  return e;
}

}  // namespace tachyon
