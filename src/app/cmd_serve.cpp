// `tachyon serve`: loads the models, starts one engine per model (an embedding engine for an
// encoder) and the HTTP server, and runs until SIGINT/SIGTERM, then drains gracefully.
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "api/async_job_runner.h"
#include "api/routes.h"
#include "api/search_service.h"
#include "search/retriever.h"
#include "app/commands.h"
#include "http/http_server.h"
#include "platform/open_store.h"
#include "platform/memory_rate_limiter.h"
#include "platform/redis_rate_limiter.h"
#include "platform/sqlite_store.h"
#include "platform/time_text.h"

namespace tachyon::app {
namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::vector<std::string> models;
  std::string models_dir;
  int threads = 0, http_threads = 2;
  int32_t ctx = 0, kv_block_size = 16, max_batch_tokens = 128, max_running = 16, max_waiting = 256;
  int64_t max_waiting_tokens = 0;
  int64_t kv_memory_mib = 512;
  std::string kv_type = "f16", device = "cpu";
  double job_lease = 30;  // seconds an async job's claim holds without renewal
  double request_timeout = 600, shutdown_grace = 30, idle_timeout = 60, header_timeout = 10, read_timeout = 30;
  size_t max_body_mib = 8, max_connections = 10'000;
  uint32_t max_header_kib = 16;
  bool no_prefix_cache = false, quiet = false;
  std::string speculative = "off";  // the default of requests that do not say: off | prompt-lookup | draft-model
  std::string draft_model;          // drafts for speculative requests come from this model
  int32_t draft_tokens = PromptLookupConfig{}.max_draft;
  // The API platform: keys, limits, usage and prices.
  std::string data_dir = platform::kDefaultDataDir;
  std::string database_url;  // a PostgreSQL database replicas share; "": SQLite in data_dir
  std::string auth = "auto";
  std::string admin_key_file, metrics_key_file;
  int64_t default_rpm = 0, default_tpm = 0;
  std::string redis;                    // rate limits shared by replicas; empty: in this process
  std::string redis_failure = "closed";  // when Redis is down: closed (503) | open (unmetered)
  std::vector<std::string> prices;
  std::vector<std::string> matryoshka;  // models whose embeddings may be shortened (`dimensions`)
  int64_t retention_days = 30;
  bool no_retention = false;
  int64_t max_async_jobs = 1000;
  std::string search = "auto";  // grounded chat: auto | on | off
  std::string retrieval = "bm25";  // bm25 | dense | hybrid
  std::string retrieval_model;     // the served model that embeds queries (default: the index's)
};

// A secret from a file (first line, surrounding whitespace removed) or else from an environment
// variable; nullopt when neither is set.
std::optional<platform::SecretHash> secret_from(const std::string& file, const char* env, const char* flag) {
  std::string secret;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) fail(fmt::format("{} {}: cannot read the file", flag, file));
    std::getline(in, secret);
  } else if (const char* value = std::getenv(env); value && *value) {
    secret = value;
  } else {
    return std::nullopt;
  }
  const size_t begin = secret.find_first_not_of(" \t\r\n");
  const size_t end = secret.find_last_not_of(" \t\r\n");
  secret = begin == std::string::npos ? "" : secret.substr(begin, end - begin + 1);
  if (secret.size() < 16) fail(fmt::format("the key from {} (or {}) must have at least 16 characters", flag, env));
  return platform::hash_secret(secret);
}

// The rate limiter: in this process, or in Redis with --redis, where every replica draws from
// the same buckets. A Redis that does not answer at start is not fatal: requests meet the
// failure policy until it does.
void start_rate_limiter(const ServeOptions& o, PlatformServices& p) {
  if (o.redis_failure != "open" && o.redis_failure != "closed") fail("--redis-failure must be open or closed");
  if (o.redis.empty()) {
    p.limiter = std::make_unique<platform::MemoryRateLimiter>([] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    });
    return;
  }
  auto address = platform::parse_redis_url(o.redis);
  if (!address) fail(fmt::format("--redis (or TACHYON_REDIS_URL): {}", address.error().message));
  p.limiter = std::make_unique<platform::RedisRateLimiter>(std::make_unique<platform::RedisClient>(*address));
  p.rate_limit_fail_open = o.redis_failure == "open";
  const char* policy = p.rate_limit_fail_open ? "admitted without limits" : "refused with 503";
  if (Status up = p.limiter->check_backend(); !up)
    fmt::print(stderr, "WARNING: {}; until it answers, requests of keys with limits are {} (--redis-failure {})\n",
               up.error().message, policy, o.redis_failure);
  else
    fmt::print(stderr, "rate limits shared in Redis at {} (if it goes down, requests are {})\n",
               platform::describe(*address), policy);
}

// Opens the store and sets up keys, limits, usage and prices; says loudly when the server will
// run without authentication.
void start_platform(const ServeOptions& o, PlatformServices& p) {
  if (o.auth != "auto" && o.auth != "required") fail("--auth must be auto or required");
  const std::string location = platform::store_location(o.data_dir, o.database_url);
  auto store = platform::open_store(o.data_dir, o.database_url);
  if (!store && o.database_url.empty()) fail(fmt::format("--data-dir {}: {}", o.data_dir, store.error().message));
  if (!store) fail(fmt::format("--database: {}", store.error().message));
  p.store = std::move(*store);
  p.keys = std::make_unique<platform::KeyRing>(*p.store, platform::system_now_ms,
                                               platform::RateLimits{o.default_rpm, o.default_tpm});
  start_rate_limiter(o, p);
  p.usage = std::make_unique<platform::UsageRecorder>(*p.store);
  if (o.retention_days <= 0) fail("--retention-days must be positive (use --no-retention to keep no logs)");
  p.keep_request_logs = !o.no_retention;
  p.max_async_jobs = o.max_async_jobs;
  // Purges run even with --no-retention, so logs kept by an earlier run still expire.
  constexpr int64_t kDayMs = 86'400'000;
  p.retention = std::make_unique<platform::RetentionJob>(*p.store, platform::system_now_ms, o.retention_days * kDayMs,
                                                         3'600'000);
  for (const auto& spec : o.prices) {
    auto price = platform::parse_price_spec(spec);
    if (!price) fail(price.error().message);
    p.prices.set(price->first, price->second);
  }
  p.auth_required = o.auth == "required";
  p.admin_key = secret_from(o.admin_key_file, "TACHYON_ADMIN_KEY", "--admin-key-file");
  p.metrics_key = secret_from(o.metrics_key_file, "TACHYON_METRICS_KEY", "--metrics-key-file");
  auto has_keys = p.keys->has_keys();
  if (!has_keys) fail(has_keys.error().message);
  const std::string store_flag =
      o.database_url.empty() ? fmt::format("--data-dir {}", o.data_dir) : std::string("--database URL");
  if (!*has_keys && p.auth_required)
    fail(fmt::format("--auth required, but {} holds no API keys: create one with `tachyon keys create --name NAME {}`",
                     location, store_flag));
  if (!*has_keys)
    fmt::print(stderr,
               "WARNING: OPEN MODE: {} holds no API keys, so every request is served WITHOUT authentication. "
               "Create a key (`tachyon keys create --name NAME {}`) to require one, or start with --auth required.\n",
               location, store_flag);
  else
    fmt::print(stderr, "API keys required (key store: {})\n", location);
}

// "NAME=PATH" or "PATH" (named after the file).
std::pair<std::string, std::string> model_spec(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq != std::string::npos && eq > 0) return {spec.substr(0, eq), spec.substr(eq + 1)};
  return {std::filesystem::path(spec).stem().string(), spec};
}

// Loads one model for serving as `name` (a generation engine, or an embedding engine for an
// encoder); every problem is one Error naming the file.
Result<ServedModel> load_served_model(const ServeOptions& o, const std::string& name, const std::string& path,
                                      bool grounded) {
  auto device = parse_device(o.device);
  if (!device) return device.error();
  auto loaded = load_model_bundle(path, *device);
  if (!loaded) return loaded.error();
  std::shared_ptr<const ModelBundle> bundle = std::move(*loaded);
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  // Embeddings: an encoder's, or a decoder's mean-pooled final hidden states.
  std::unique_ptr<EmbeddingEngine> embedder;
  if (bundle->embedding_model()) {
    EmbeddingEngineConfig cfg;
    cfg.n_threads = o.threads;
    cfg.max_waiting = o.max_waiting;
    auto created = EmbeddingEngine::create(bundle, cfg);
    if (!created) return make_error("{}: {}", path, created.error().message);
    embedder = std::move(*created);
  }
  // An encoder serves embeddings only; chat and completions on it are refused.
  const bool matryoshka = std::find(o.matryoshka.begin(), o.matryoshka.end(), name) != o.matryoshka.end();
  if (bundle->is_encoder())
    return ServedModel{name, now, bundle, nullptr, false, std::move(embedder), path, matryoshka};
  if (!bundle->chat_template_error.empty())
    fmt::print(stderr, "warning: {}: chat template not usable ({}); using ChatML\n", path, bundle->chat_template_error);
  EngineConfig cfg;
  cfg.n_threads = o.threads;
  cfg.n_ctx = o.ctx;
  cfg.kv_block_size = o.kv_block_size;
  cfg.kv_memory_mib = o.kv_memory_mib;
  cfg.kv_dtype = kv_dtype_or_fail(o.kv_type);
  cfg.prefix_caching = !o.no_prefix_cache;
  cfg.max_batch_tokens = o.max_batch_tokens;
  cfg.max_running = o.max_running;
  cfg.max_waiting = o.max_waiting;
  cfg.max_waiting_tokens = o.max_waiting_tokens;
  cfg.request_timeout_s = o.request_timeout;
  cfg.speculative.max_draft = o.draft_tokens;
  cfg.speculative_default = o.speculative != "off";
  if (!o.draft_model.empty()) {
    auto draft = load_model_bundle(o.draft_model, *device);
    if (!draft) return make_error("--draft-model: {}", draft.error().message);
    cfg.draft_model = std::move(*draft);
  }
  auto engine = Engine::create(bundle, cfg);
  if (!engine) return make_error("{}: {}", path, engine.error().message);
  return ServedModel{name, now, bundle, std::move(*engine), grounded, std::move(embedder), path, matryoshka};
}

// Every connection is a descriptor, and the usual soft limit (1024) is far below the thousands of
// keep-alive clients --max-connections allows: raise it to the hard limit.
void raise_descriptor_limit(size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  }
  if (limit.rlim_cur < max_connections + 64)
    fmt::print(stderr, "warning: {} file descriptors allowed, fewer than --max-connections {} needs\n",
               uint64_t(limit.rlim_cur), max_connections);
}

void serve(const ServeOptions& o) {
  raise_descriptor_limit(o.max_connections);
  std::vector<std::pair<std::string, std::string>> specs;
  for (const auto& m : o.models) specs.push_back(model_spec(m));
  if (!o.models_dir.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(o.models_dir, ec))
      if (e.path().extension() == ".gguf") specs.emplace_back(e.path().stem().string(), e.path().string());
    if (ec) fail(fmt::format("--models-dir {}: {}", o.models_dir, ec.message()));
  }
  const bool bundled = specs.empty();
  if (specs.empty()) specs.emplace_back("tachyon-mini", default_model_path());
  if (o.search != "auto" && o.search != "on" && o.search != "off") fail("--search must be auto, on or off");
  // Grounded chat answers from the data directory's search index. auto: for the bundled model,
  // when the index exists at start (scripts/quickstart.sh builds the default corpus).
  const bool grounded =
      o.search == "on" || (o.search == "auto" && bundled && std::filesystem::exists(search::index_file(o.data_dir)));
  kv_dtype_or_fail(o.kv_type);  // a bad --kv-type fails before anything loads
  if (o.speculative == "draft-model" && o.draft_model.empty())
    fail("--speculative draft-model needs --draft-model FILE");
  if (o.speculative == "prompt-lookup" && !o.draft_model.empty())
    fail("--speculative prompt-lookup: with --draft-model, speculative requests draft with that model "
         "(say --speculative draft-model to make it the default)");

  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A write to a connection the peer closed (Redis restarting) is an error value, not the end of
  // the process.
  std::signal(SIGPIPE, SIG_IGN);

  ServerContext ctx;
  start_platform(o, ctx.platform);
  ctx.system_fingerprint = fmt::format("tachyon-{}", TACHYON_VERSION);
  for (const auto& [name, path] : specs) {
    if (ctx.models.find(name)) fail(fmt::format("two models are named '{}'", name));
    auto model = load_served_model(o, name, path, grounded);
    if (!model) fail(model.error().message);
    const bool embeddings = model->engine == nullptr;
    if (Status added = ctx.models.add(std::move(*model)); !added) fail(added.error().message);
    if (!o.quiet && embeddings)
      fmt::print(stderr, "loaded embedding model '{}' from {} (POST /v1/embeddings)\n", name, path);
    else if (!o.quiet)
      fmt::print(stderr, "loaded model '{}' from {}{}\n", name, path, grounded ? " (grounded chat: answers cite the search index)" : "");
  }
  for (const std::string& name : o.matryoshka)
    if (!ctx.models.find(name))
      fmt::print(stderr, "warning: --matryoshka {}: no model of that name is loaded (one loaded later through "
                         "POST /admin/models under that name will accept 'dimensions')\n", name);
  // POST /admin/models loads files under --models-dir the same way, while the server runs.
  ctx.models_dir = o.models_dir;
  ctx.load_model = [&o](const std::string& name, const std::string& path) {
    auto model = load_served_model(o, name, path, o.search == "on");
    if (!o.quiet)
      fmt::print(stderr, "{}\n", model ? fmt::format("loaded model '{}' from {}", name, path)
                                       : fmt::format("loading model '{}' failed: {}", name, model.error().message));
    return model;
  };
  ctx.model_jobs = std::make_unique<boost::asio::thread_pool>(1);

  HttpServerOptions http;
  http.host = o.host;
  http.port = uint16_t(o.port);
  http.n_threads = o.http_threads;
  http.max_body_bytes = o.max_body_mib << 20;
  http.idle_timeout = std::chrono::milliseconds(int64_t(o.idle_timeout * 1000));
  http.header_timeout = std::chrono::milliseconds(int64_t(o.header_timeout * 1000));
  http.read_timeout = std::chrono::milliseconds(int64_t(o.read_timeout * 1000));
  http.max_header_bytes = o.max_header_kib << 10;
  http.max_connections = o.max_connections;
  const bool quiet = o.quiet;
  HttpServer server(http, make_router(ctx), [&ctx, quiet](const RequestLogEntry& e) {
    // By route, not by path: paths are the client's to choose, and each label is a new series.
    ctx.metrics.count_request(e.route.empty() ? "unmatched" : e.route, e.status);
    if (!quiet)
      fmt::print(stderr, "{} {} {} {:.1f} ms id={}\n", e.method, e.path, e.status, e.duration.count() / 1000.0,
                 e.request_id);
  });
  if (Status s = server.start(); !s) fail(s.error().message);
  // Replicas sharing a database leave each other's jobs alone until their leases run out.
  ctx.async_jobs = std::make_unique<AsyncJobRunner>(
      ctx, AsyncJobRunnerOptions{.sole_user = !platform::store_is_shared(o.database_url),
                                 .lease = std::chrono::milliseconds(int64_t(o.job_lease * 1000))});
  auto retrieval = search::parse_retrieval(o.retrieval);
  if (!retrieval) fail("--retrieval: " + retrieval.error().message);
  search::QueryEmbedder embed;
  if (*retrieval != search::Retrieval::bm25) embed = served_query_embedder(ctx.models, o.retrieval_model);
  ctx.search = std::make_unique<SearchService>(o.data_dir, 2, *retrieval, std::move(embed));
  if (auto index = ctx.search->index(); !index) {
    fmt::print(stderr, "search: {}\n", index.error().message);
  } else if (auto stats = (*index)->stats(); stats && !o.quiet) {
    fmt::print(stderr, "search index: {} pages, {} passages ({})\n", stats->n_pages, stats->n_passages,
               search::index_file(o.data_dir).string());
    // Dense and hybrid retrieval: what vectors the index has (BM25 needs none counted at start).
    if (*retrieval != search::Retrieval::bm25) {
      auto space = (*index)->vector_space();
      if (space && !*space)
        fmt::print(stderr, "warning: --retrieval {}: the index has no passage vectors yet (tachyon index embed)\n",
                   o.retrieval);
      else if (auto coverage = (*index)->vector_coverage(); space && coverage)
        fmt::print(stderr, "search retrieval: {} ({} of {} passages have vectors by '{}', {} dimensions)\n", o.retrieval,
                   coverage->second - coverage->first, coverage->second, (*space)->model, (*space)->dimensions);
    }
  }
  ctx.ready = true;
  fmt::print(stderr, "tachyon serving {} on http://{}:{}\n", fmt::join(ctx.models.names(), ", "), o.host, server.port());

  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "received {}, draining (grace {} s; a second signal exits at once)\n",
             sig == SIGINT ? "SIGINT" : "SIGTERM", o.shutdown_grace);
  // A second signal ends the process without waiting. Nothing acknowledged is lost: a usage row
  // is committed before its response's last byte, and the store survives a kill.
  std::thread([signals] {
    int again = 0;
    sigwait(&signals, &again);
    fmt::print(stderr, "received a second signal, exiting without draining\n");
    std::_Exit(1);
  }).detach();
  ctx.draining = true;
  ctx.async_jobs->stop();
  const auto grace = std::chrono::milliseconds(int64_t(o.shutdown_grace * 1000));
  // Engines finish or cancel their requests first, so handlers see their last events; then the
  // server closes what is left.
  ctx.models.shutdown(std::chrono::steady_clock::now() + grace);
  server.stop(std::chrono::milliseconds(2000));
  // Queries still running answer into queues on the server's executor: finish them first.
  ctx.search.reset();
  // Commit-acknowledgement callbacks wake handler queues on the server's executor: run them all
  // while the server object still exists.
  ctx.platform.usage->flush();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve models over an OpenAI-compatible HTTP API");
  auto o = std::make_shared<ServeOptions>();
  cmd->set_config("--config", "", "TOML/INI file with any of these options (command-line flags win)");
  cmd->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o->port, "Port (0: any free port)")->capture_default_str();
  cmd->add_option("-m,--model", o->models, "Model to serve, NAME=PATH or PATH (repeatable; default: the bundled model)");
  cmd->add_option("--models-dir", o->models_dir, "Serve every .gguf file in this folder, named after the file");
  cmd->add_option("-t,--threads", o->threads, "Compute threads per model (0: all cores)")->capture_default_str();
  cmd->add_option("--http-threads", o->http_threads, "I/O threads of the HTTP server")->capture_default_str();
  cmd->add_option("-c,--ctx", o->ctx, "Longest sequence, prompt + output (0: the model's context length)")->capture_default_str();
  cmd->add_option("--kv-memory-mib", o->kv_memory_mib, "KV cache pool per model, MiB")->capture_default_str();
  cmd->add_option("--kv-block-size", o->kv_block_size, "Tokens per KV block")->capture_default_str();
  add_kv_type_option(*cmd, o->kv_type);
  add_device_option(*cmd, o->device);
  cmd->add_flag("--no-prefix-cache", o->no_prefix_cache, "Do not share KV blocks of common prompt prefixes");
  cmd->add_option("--max-batch-tokens", o->max_batch_tokens, "Tokens per engine step (decode first, then prefill chunks)")->capture_default_str();
  cmd->add_option("--speculative", o->speculative,
                  "Speculative decoding for requests that do not set \"speculative\": off | prompt-lookup (drafts "
                  "from the request's own tokens) | draft-model (drafts from --draft-model); drafts are verified "
                  "in the same step and the output is unchanged")
      ->check(CLI::IsMember({"off", "prompt-lookup", "draft-model"}))
      ->capture_default_str();
  cmd->add_option("--draft-model", o->draft_model,
                  "A smaller GGUF model with the same vocabulary that drafts for speculative requests (instead of "
                  "prompt lookup), for every generation model served")
      ->check(CLI::ExistingFile);
  cmd->add_option("--draft-tokens", o->draft_tokens, "Speculative tokens drafted per step at most (0: never draft)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--max-running", o->max_running, "Requests decoded together")->capture_default_str();
  cmd->add_option("--max-waiting", o->max_waiting, "Waiting queue length; beyond it requests get 429")->capture_default_str();
  cmd->add_option("--max-waiting-tokens", o->max_waiting_tokens,
                  "Prompt tokens the waiting queue may hold; beyond it requests get 429 (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--request-timeout", o->request_timeout, "Seconds a request may take, queueing included")->capture_default_str();
  cmd->add_option("--idle-timeout", o->idle_timeout, "Seconds an idle keep-alive connection stays open")->capture_default_str();
  cmd->add_option("--job-lease", o->job_lease,
                  "Seconds a replica's claim on an async job holds unless renewed (every third of it); after a crash, "
                  "another replica runs the job once it expires")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--header-timeout", o->header_timeout,
                  "Seconds from a request's first byte to the end of its headers (slow senders are disconnected)")
      ->capture_default_str();
  cmd->add_option("--read-timeout", o->read_timeout, "Seconds to read a request's body once its headers are in")
      ->capture_default_str();
  cmd->add_option("--max-body-mib", o->max_body_mib, "Largest request body, MiB (larger: 413)")->capture_default_str();
  cmd->add_option("--max-header-kib", o->max_header_kib, "Largest request header block, KiB (larger: 431)")->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections, "Open connections at most; beyond it new ones are closed")
      ->capture_default_str();
  cmd->add_option("--shutdown-grace", o->shutdown_grace, "Seconds in-flight requests get to finish on SIGTERM/SIGINT")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Do not log each request");
  cmd->add_option("--data-dir", o->data_dir, "Folder of tachyon's databases: keys and usage, and the search index search.db (created 0700)")->capture_default_str();
  add_database_option(*cmd, o->database_url);
  cmd->add_option("--auth", o->auth, "auto: require API keys once the store has any; required: refuse to start without keys")
      ->capture_default_str();
  cmd->add_option("--admin-key-file", o->admin_key_file, "File holding the admin key for /admin/ (or set TACHYON_ADMIN_KEY)");
  cmd->add_option("--metrics-key-file", o->metrics_key_file,
                  "File holding a key for /metrics from other hosts (or TACHYON_METRICS_KEY; default: loopback only)");
  cmd->add_option("--default-rpm", o->default_rpm, "Requests per minute for keys without their own limit (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--default-tpm", o->default_tpm, "Tokens per minute for keys without their own limit (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--redis", o->redis,
                  "redis://HOST:PORT[/DB]: keep rate limits in Redis, shared by every replica using it (default: in this "
                  "process)")
      ->envname("TACHYON_REDIS_URL");
  cmd->add_option("--redis-failure", o->redis_failure,
                  "When Redis does not answer: closed (refuse requests of keys with limits, 503) or open (admit them "
                  "without limits)")
      ->capture_default_str();
  cmd->add_option("--retention-days", o->retention_days, "Days request logs (prompts and completions) are kept")
      ->capture_default_str();
  cmd->add_flag("--no-retention", o->no_retention, "Keep no request logs at all, only usage numbers");
  cmd->add_option("--max-async-jobs", o->max_async_jobs,
                  "Async jobs a key may have waiting or running; beyond it submissions get 429 (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--retrieval", o->retrieval,
                  "How /search and grounded chat find pages: bm25 | dense (passage vectors nearest the query's, "
                  "made by `tachyon index embed`) | hybrid (both, fused by reciprocal rank)")
      ->capture_default_str();
  cmd->add_option("--retrieval-model", o->retrieval_model,
                  "The served model that embeds queries for dense and hybrid retrieval (default: the model named "
                  "when the index's vectors were made)");
  cmd->add_option("--search", o->search,
                  "Grounded chat (sources from the search index, citations in answers): on | off | auto (on for the bundled "
                  "model when the data directory has an index)")
      ->capture_default_str();
  cmd->add_option("--matryoshka", o->matryoshka,
                  "MODEL: its embeddings were trained Matryoshka-style, so requests may shorten them with "
                  "'dimensions' (repeatable)");
  cmd->add_option("--price", o->prices, "MODEL=INPUT,OUTPUT[,REQUEST]: USD per million prompt and completion tokens and per request (repeatable)");
  cmd->callback([o] {
    o->database_url = database_url_or_env(o->database_url);
    serve(*o);
  });
}

}  // namespace tachyon::app
