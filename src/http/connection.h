#pragma once
// Internal to src/http: the per-connection request loop and the state it shares with the
// server that owns it. Beast types appear here, never in the public headers.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "http/http_server.h"
#include "http/router.h"

namespace tachyon::http_internal {

namespace beast = boost::beast;

// What the server may do to a live connection. Every field is touched only on `executor`
// (the connection's strand), which is why the server posts its requests there.
struct ConnectionControl {
  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;  // null once the connection coroutine has ended
  bool idle = false;                    // waiting for a request with nothing buffered
  asio::cancellation_signal cancel;     // bound to the connection coroutine
};

// State shared by the listener, all connections and the owning HttpServer.
struct ServerState {
  HttpServerOptions options;
  Router router;
  RequestLogger logger;

  std::atomic<bool> stopping{false};
  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> active_requests{0};

  std::mutex mutex;  // guards connections; connection_closed fires on each removal
  std::condition_variable connection_closed;
  std::unordered_set<std::shared_ptr<ConnectionControl>> connections;
};

// Serves requests on `stream` until the peer leaves, a timeout fires, or the server stops.
// Spawn it on the stream's strand, with `control->cancel` bound as cancellation slot.
asio::awaitable<void> serve_connection(ServerState& state, std::shared_ptr<ConnectionControl> control,
                                       beast::tcp_stream stream);

// Asks every connection (or only idle ones) to close: posted to each connection's strand.
// With `cancel_handlers`, handlers still running are cancelled as well. Any thread.
void close_connections(ServerState& state, bool only_idle, bool cancel_handlers);

}  // namespace tachyon::http_internal
