#pragma once
// HttpServer: the product's front door. An HTTP/1.1 server on one io_context run by a few
// threads, one coroutine per connection, so thousands of idle keep-alive connections and
// hundreds of streams cost memory, not threads.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/router.h"
#include "util/result.h"

namespace tachyon {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks an ephemeral port; read it back with port()
  int n_threads = 2;
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
  std::chrono::milliseconds header_timeout{10'000}; // from a request's first byte to its whole header
  std::chrono::milliseconds read_timeout{30'000};   // then to read its body
  std::chrono::milliseconds write_timeout{30'000};  // per write; a slower reader is dropped
  size_t max_body_bytes = 8u << 20;                 // larger bodies get 413
  uint32_t max_header_bytes = 16u << 10;            // larger headers get 431
  size_t max_connections = 10'000;                  // beyond this, new sockets are closed
};

// One finished request, for access logs and metrics.
struct RequestLogEntry {
  std::string method;
  std::string path;
  std::string route;  // the matched route's pattern ("/v1/models/{id}"); "" when none matched
  std::string request_id;
  std::string remote_address;
  int status = 0;
  bool streamed = false;  // an SSE response; duration then covers the whole stream
  std::chrono::microseconds duration{0};
};

// Called on an I/O thread after each request; must be thread-safe and must not block.
using RequestLogger = std::function<void(const RequestLogEntry&)>;

// Owns the listener, the I/O threads and every connection. Control methods (start, stop,
// destructor) are for one owning thread and must not be called from a handler.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router router, RequestLogger logger = {});
  // Stops with no grace period if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. Call once; an error means nothing started.
  Status start();

  // Stops accepting and closes idle connections at once; requests in flight may finish until
  // `grace` has passed, after which their connections are closed and their handlers
  // cancelled. Returns once the I/O threads have exited. Idempotent.
  void stop(std::chrono::milliseconds grace);

  // The bound port (useful with port 0); 0 before start().
  uint16_t port() const;

  // Live counters, readable from any thread.
  int64_t open_connections() const;
  int64_t active_requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tachyon
