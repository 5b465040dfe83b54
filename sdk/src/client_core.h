// The one request path of a client: every resource's call goes through ClientCore::send or
// ClientCore::open_stream, which pick a pooled connection, apply timeouts, decide retries, and
// turn failures into the typed errors.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "connection_pool.h"
#include "tachyon/client/headers.h"
#include "tachyon/client/options.h"
#include "tachyon/client/performance_monitor.h"
#include "tachyon/client/sse_parser.h"
#include "tachyon/client/types.h"

namespace tachyon::client::detail {

// One API call as a resource describes it.
struct Call {
  http::verb method = http::verb::post;
  std::string path;  // from ApiPaths, plus any id or query
  std::string body;  // JSON, or "" for GET
  RequestOptions options;
};

// A whole answer with a 2xx status.
struct Answer {
  int status = 0;
  Headers headers;
  std::string body;
  Duration elapsed{0};
  int retries = 0;
};

struct StreamState;

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(asio::any_io_executor executor, ClientOptions options);

  // On the strand (enter through co_spawn(strand(), ...)). Throws the errors of errors.h.
  asio::awaitable<Answer> send(Call call);
  asio::awaitable<std::shared_ptr<StreamState>> open_stream(Call call);

  const Strand& strand() const { return strand_; }
  const ClientOptions& options() const { return options_; }
  std::shared_ptr<PerformanceMonitor> monitor() const { return monitor_.load(); }
  void set_monitor(std::shared_ptr<PerformanceMonitor> monitor) { monitor_.store(std::move(monitor)); }
  ConnectionPool& pool() { return pool_; }
  std::size_t open_connections() const { return open_connections_.load(); }
  std::size_t connections_opened() const { return connections_opened_.load(); }
  std::size_t peak_open_connections() const { return peak_open_connections_.load(); }
  void publish_pool_counts();

 private:
  struct Attempt;
  asio::awaitable<Attempt> attempt(const Call& call, bool stream);
  asio::awaitable<void> sleep(Duration delay);
  double random01();
  http::request<http::string_body> build_request(const Call& call, bool stream) const;

  ClientOptions options_;
  BaseUrl url_;
  std::optional<asio::ssl::context> tls_;
  Strand strand_;
  ConnectionPool pool_;
  std::atomic<std::shared_ptr<PerformanceMonitor>> monitor_;
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<std::size_t> connections_opened_{0};
  std::atomic<std::size_t> peak_open_connections_{0};
  std::string authorization_;
};

// A stream's connection and parsers, owned by its AsyncStream/Stream and used on the strand.
struct StreamState {
  std::shared_ptr<ClientCore> core;
  std::unique_ptr<HttpConnection> connection;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser;
  Headers headers;
  SseParser sse;
  std::deque<std::string> pending;  // event data parsed, not yet returned
  bool saw_done = false;            // "[DONE]" arrived
  bool finished = false;            // the connection is back in the pool or closed
  Duration read_timeout{0};
  TimePoint started{};
  std::optional<Duration> ttft;
};

}  // namespace tachyon::client::detail
