#include "http/http_server.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/connection.h"

namespace tachyon {

namespace beast = boost::beast;
using asio::ip::tcp;
using http_internal::ConnectionControl;
using http_internal::ServerState;

namespace {

// After a forced close, how long stop() waits for cancelled handlers to unwind before it
// stops the I/O threads regardless.
constexpr std::chrono::milliseconds kForcedCloseWait{1000};
// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

asio::awaitable<void> accept_loop(ServerState& state, tcp::acceptor& acceptor,
                                  asio::io_context& io_context) {
  boost::system::error_code ec;
  while (!state.stopping.load()) {
    asio::any_io_executor strand = asio::make_strand(io_context);
    tcp::socket socket =
        co_await acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (state.stopping.load() || !acceptor.is_open()) co_return;
    if (ec) {
      asio::steady_timer backoff(co_await asio::this_coro::executor, kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (static_cast<size_t>(state.open_connections.load()) >= state.options.max_connections) {
      socket.close(ec);
      continue;
    }
    // Streamed tokens are small writes that must leave at once, not wait for Nagle.
    socket.set_option(tcp::no_delay(true), ec);

    auto control = std::make_shared<ConnectionControl>();
    control->executor = strand;
    // The completion handler keeps `control` (and so the cancellation signal) alive until
    // the coroutine has fully finished with it.
    asio::co_spawn(strand,
                   http_internal::serve_connection(state, control,
                                                   beast::tcp_stream(std::move(socket))),
                   asio::bind_cancellation_slot(control->cancel.slot(),
                                                [control](std::exception_ptr) {}));
  }
}

Result<tcp::endpoint> resolve_endpoint(asio::io_context& io_context, const std::string& host,
                                       uint16_t port) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(io_context);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) return make_error("cannot resolve host '{}': {}", host, ec.message());
  return results.begin()->endpoint();
}

}  // namespace

struct HttpServer::Impl {
  // Declared before the io_context so it outlives the connection frames that the
  // io_context destroys on teardown.
  ServerState state;
  asio::io_context io_context;
  tcp::acceptor acceptor{asio::make_strand(io_context)};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;
  bool running = false;

  bool wait_for_connections(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(state.mutex);
    return state.connection_closed.wait_until(lock, deadline,
                                              [&] { return state.connections.empty(); });
  }
};

HttpServer::HttpServer(HttpServerOptions options, Router router, RequestLogger logger)
    : impl_(std::make_unique<Impl>()) {
  impl_->state.options = std::move(options);
  impl_->state.router = std::move(router);
  impl_->state.logger = std::move(logger);
}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds{0}); }

Status HttpServer::start() {
  Impl& impl = *impl_;
  if (impl.running || impl.state.stopping) return make_error("server already started");
  const HttpServerOptions& options = impl.state.options;
  Result<tcp::endpoint> endpoint =
      resolve_endpoint(impl.io_context, options.host, options.port);
  if (!endpoint) return endpoint.error();

  boost::system::error_code ec;
  impl.acceptor.open(endpoint->protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(*endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl.acceptor.close();
    return make_error("cannot listen on {}:{}: {}", options.host, options.port, ec.message());
  }
  impl.bound_port = impl.acceptor.local_endpoint().port();

  asio::co_spawn(impl.acceptor.get_executor(),
                 accept_loop(impl.state, impl.acceptor, impl.io_context), asio::detached);
  impl.work.emplace(impl.io_context.get_executor());
  int n_threads = std::max(1, options.n_threads);
  for (int i = 0; i < n_threads; ++i) {
    impl.threads.emplace_back([&impl] { impl.io_context.run(); });
  }
  impl.running = true;
  return Status::success();
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  if (!impl.running) return;
  impl.running = false;
  impl.state.stopping = true;

  asio::post(impl.acceptor.get_executor(), [&impl] {
    boost::system::error_code ec;
    impl.acceptor.close(ec);
  });
  http_internal::close_connections(impl.state, /*only_idle=*/true, /*cancel_handlers=*/false);

  auto now = std::chrono::steady_clock::now();
  if (!impl.wait_for_connections(now + grace)) {
    http_internal::close_connections(impl.state, /*only_idle=*/false, /*cancel_handlers=*/true);
    impl.wait_for_connections(std::chrono::steady_clock::now() + kForcedCloseWait);
  }

  impl.work.reset();
  impl.io_context.stop();
  for (std::thread& thread : impl.threads) thread.join();
  impl.threads.clear();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

int64_t HttpServer::open_connections() const { return impl_->state.open_connections.load(); }

int64_t HttpServer::active_requests() const { return impl_->state.active_requests.load(); }

}  // namespace tachyon
