#pragma once
// What every endpoint handler shares: the served models, the metrics and the server's state.
#include <atomic>
#include <string>

#include "api/model_registry.h"
#include "api/server_metrics.h"

namespace tachyon {

struct ServerContext {
  ModelRegistry models;
  ServerMetrics metrics;
  std::string system_fingerprint;  // identifies the build and settings that produced an answer
  std::atomic<bool> ready{false};  // models loaded and engines running (GET /ready)
  std::atomic<bool> draining{false};  // shutting down: new generations get 503
};

}  // namespace tachyon
