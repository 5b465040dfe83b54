// Client configuration: where to connect, how to authenticate, pool limits, timeouts and retries.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace tachyon::client {

class PerformanceMonitor;

using Duration = std::chrono::nanoseconds;

// How long each phase of one attempt may take. `total` bounds a whole attempt of a non-streaming
// request (connect, send, and read the whole answer) and a stream's attempt up to its headers;
// `read` bounds every wait for bytes (so a stalled stream fails after `read`).
struct Timeouts {
  Duration connect = std::chrono::seconds(10);
  Duration read = std::chrono::seconds(600);
  Duration total = std::chrono::seconds(600);
};

// The connection pool of one client (one origin): at most `max_connections` TCP connections open
// at once, of which at most `max_keepalive_connections` are kept idle, each for `keepalive_expiry`.
struct PoolLimits {
  std::size_t max_connections = 100;
  std::size_t max_keepalive_connections = 20;
  Duration keepalive_expiry = std::chrono::seconds(5);
};

// Waits `delay` before a retry. Replaceable so tests run retries without real waiting.
using Sleeper = std::function<boost::asio::awaitable<void>(Duration delay)>;
// A uniform random number in [0, 1): the jitter of retry backoff. Replaceable for deterministic tests.
using RandomSource = std::function<double()>;

// The request paths of each resource, relative to the base URL. The defaults are tachyon's and
// OpenAI's layout (base URL without "/v1"); `for_perplexity()` switches chat to Perplexity's path.
struct ApiPaths {
  std::string chat_completions = "/v1/chat/completions";
  std::string completions = "/v1/completions";
  std::string models = "/v1/models";
  std::string embeddings = "/v1/embeddings";
  std::string responses = "/v1/responses";
  std::string search = "/search";
  std::string async_chat_completions = "/async/chat/completions";
};

// Everything a client is built from. Unset `api_key` and `base_url` come from the environment:
// TACHYON_API_KEY (else PERPLEXITY_API_KEY) and TACHYON_BASE_URL (else http://127.0.0.1:8080).
// A base URL ending in "/v1" (as OpenAI writes it) is taken as its root.
struct ClientOptions {
  std::optional<std::string> api_key;
  std::optional<std::string> base_url;
  int max_retries = 2;
  Timeouts timeouts;
  PoolLimits pool;
  ApiPaths paths;
  std::map<std::string, std::string> default_headers;
  bool verify_tls = true;
  // Attached monitor: every request of this client is recorded in it (shareable between clients).
  std::shared_ptr<PerformanceMonitor> monitor;
  Sleeper sleeper;        // empty: a steady_timer
  RandomSource random;    // empty: a thread-local std::mt19937_64

  // Perplexity's API: its base URL, its chat path and PERPLEXITY_API_KEY first.
  static ClientOptions for_perplexity();
};

// Per-request overrides of the client's options (unset fields keep the client's values).
struct RequestOptions {
  std::optional<int> max_retries;
  std::optional<Duration> connect_timeout;
  std::optional<Duration> read_timeout;
  std::optional<Duration> total_timeout;
  std::map<std::string, std::string> extra_headers;
};

}  // namespace tachyon::client
