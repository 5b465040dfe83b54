#pragma once
// What every endpoint handler shares: the served models, the metrics, the platform services
// (keys, limits, usage) and the server's state.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "api/model_registry.h"
#include "api/server_metrics.h"
#include "platform/key_ring.h"
#include "platform/pricing.h"
#include "platform/rate_limiter.h"
#include "platform/retention.h"
#include "platform/store.h"
#include "platform/usage_recorder.h"

namespace tachyon {

class AsyncJobRunner;
class SearchService;

// Keys, limits, usage and prices. Every pointer may be null (a server built without a store,
// as in tests): requests are then served open and unmetered.
struct PlatformServices {
  std::unique_ptr<platform::Store> store;
  std::unique_ptr<platform::KeyRing> keys;
  std::unique_ptr<platform::RateLimiter> limiter;  // in memory, or shared by replicas in Redis
  std::unique_ptr<platform::UsageRecorder> usage;  // destroyed first: commits what is queued
  std::unique_ptr<platform::RetentionJob> retention;  // purges request logs past the period
  platform::PriceTable prices;
  bool keep_request_logs = false;  // false with --no-retention: no request text is ever stored
  int64_t max_async_jobs = 0;      // per key, waiting or running (--max-async-jobs; 0: no limit)
  bool auth_required = false;                        // --auth required: never serve open
  bool rate_limit_fail_open = false;  // --redis-failure open: admit unmetered when the limiter's backend is down
  std::optional<platform::SecretHash> admin_key;     // nullopt: the admin API answers 403
  std::optional<platform::SecretHash> metrics_key;   // nullopt: /metrics for loopback clients only
};

struct ServerContext {
  // Declared first so that it is destroyed last, after everything that records usage.
  PlatformServices platform;
  ModelRegistry models;
  ServerMetrics metrics;
  std::string system_fingerprint;  // identifies the build and settings that produced an answer
  std::atomic<bool> ready{false};  // models loaded and engines running (GET /ready)
  std::atomic<bool> draining{false};  // shutting down: new generations get 503
  // Declared last so that it is destroyed first, before the engines its job may use. Null
  // without a store.
  std::unique_ptr<AsyncJobRunner> async_jobs;
  // The search index of the data directory (POST /search); null: /search answers 503. Destroyed
  // before the I/O threads' queues it answers into.
  std::unique_ptr<SearchService> search;

  // Models loaded while the server runs (POST /admin/models): files under models_dir (empty:
  // refused), loaded by load_model as `serve --model NAME=PATH` loads them (set by the serve
  // command; null: refused), on model_jobs, the one thread that loads and drains models.
  // Declared last, so it is joined first, before the registry its jobs write to.
  std::filesystem::path models_dir;
  std::function<Result<ServedModel>(const std::string& name, const std::string& path)> load_model;
  std::unique_ptr<boost::asio::thread_pool> model_jobs;

  // Out of line, where AsyncJobRunner is complete.
  ServerContext();
  ~ServerContext();
};

}  // namespace tachyon
