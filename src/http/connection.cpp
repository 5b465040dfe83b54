#include "http/connection.h"

#include <array>
#include <exception>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/beast_response_writer.h"
#include "http/error_response.h"
#include "http/request_id.h"

namespace tachyon::http_internal {

namespace http = beast::http;
using RequestParser = http::request_parser<http::string_body>;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kDrainTimeout{2};
constexpr size_t kMaxDrainBytes = size_t{64} << 20;
constexpr size_t kFirstReadBytes = 4096;  // the first read of a request, then the parser's own

namespace {

// Keeps the server's registry and counters in step with the connection's lifetime, including
// when the coroutine frame is destroyed unfinished at shutdown.
class ConnectionRegistration {
 public:
  ConnectionRegistration(ServerState& state, std::shared_ptr<ConnectionControl> control)
      : state_(state), control_(std::move(control)) {
    std::lock_guard lock(state_.mutex);
    state_.connections.insert(control_);
    state_.open_connections++;
  }
  ~ConnectionRegistration() {
    control_->stream = nullptr;
    {
      std::lock_guard lock(state_.mutex);
      state_.connections.erase(control_);
      state_.open_connections--;
    }
    state_.connection_closed.notify_all();
  }
  ConnectionRegistration(const ConnectionRegistration&) = delete;
  ConnectionRegistration& operator=(const ConnectionRegistration&) = delete;

 private:
  ServerState& state_;
  std::shared_ptr<ConnectionControl> control_;
};

class ActiveRequest {
 public:
  explicit ActiveRequest(std::atomic<int64_t>& counter) : counter_(counter) { counter_++; }
  ~ActiveRequest() { counter_--; }
  ActiveRequest(const ActiveRequest&) = delete;
  ActiveRequest& operator=(const ActiveRequest&) = delete;

 private:
  std::atomic<int64_t>& counter_;
};

std::string remote_address_of(const beast::tcp_stream& stream) {
  boost::system::error_code ec;
  auto endpoint = stream.socket().remote_endpoint(ec);
  return ec ? std::string{} : endpoint.address().to_string();
}

std::string pick_request_id(const http::request<http::string_body>& message) {
  auto it = message.find("X-Request-ID");
  if (it != message.end() && is_acceptable_request_id(it->value())) {
    return std::string(it->value());
  }
  return generate_request_id();
}

HttpRequest to_request(http::request<http::string_body>&& message, std::string remote_address) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.version = static_cast<int>(message.version());
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.request_id = pick_request_id(message);
  request.remote_address = std::move(remote_address);
  request.body = std::move(message.body());
  return request;
}

// The response to a request that could not be read, or nullopt when the peer simply left
// (end of stream, reset, timeout) and there is nobody to answer.
std::optional<HttpResponse> response_for_read_error(const boost::system::error_code& ec,
                                                    const ServerState& state) {
  if (ec == http::error::body_limit) {
    return error_response(
        413, fmt::format("Request body exceeds the limit of {} bytes", state.options.max_body_bytes),
        "invalid_request_error", "request_too_large");
  }
  if (ec == http::error::header_limit) {
    return error_response(431, "Request headers are too large", "invalid_request_error",
                          "headers_too_large");
  }
  // Any other parser error is a malformed request worth a 400; end of stream and partial
  // messages mean the peer left, and socket errors or timeouts leave nobody to answer.
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return error_response(400, fmt::format("Malformed HTTP request: {}", ec.message()),
                          "invalid_request_error", "bad_request");
  }
  return std::nullopt;
}

void log_request(const ServerState& state, const HttpRequest& request,
                 const BeastResponseWriter& writer, Clock::time_point start) {
  if (!state.logger) return;
  RequestLogEntry entry{request.method,         request.path,    request.route,
                        request.request_id,     request.remote_address, writer.status(), writer.streamed(),
                        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start)};
  try {
    state.logger(entry);
  } catch (...) {
    // A failing log sink must not take the connection down with it.
  }
}

// Sends the error for an unreadable request; the connection is closed afterwards because
// the rest of the input cannot be framed reliably.
asio::awaitable<void> reject_request(ServerState& state, beast::tcp_stream& stream,
                                     RequestParser& parser, HttpResponse response,
                                     const std::string& remote_address) {
  const auto& message = parser.get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.path = std::string(message.target().substr(0, message.target().find('?')));
  request.request_id = pick_request_id(message);
  request.remote_address = remote_address;
  BeastResponseWriter writer(stream, {request.request_id, 11, false, &state.stopping,
                                      state.options.write_timeout});
  Clock::time_point start = Clock::now();
  co_await writer.send(std::move(response));
  log_request(state, request, writer, start);

  // Discard what the client is still sending (e.g. the rest of an oversized body): closing
  // with unread input makes the kernel reset the connection, and the client could lose the
  // error response before reading it.
  boost::system::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::array<char, 16384> sink;
  size_t n_drained = 0;
  stream.expires_after(kDrainTimeout);
  while (!ec && n_drained < kMaxDrainBytes) {
    n_drained += co_await stream.async_read_some(asio::buffer(sink),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  }
  stream.expires_never();
}

// Runs the handler and makes sure the request ends with a complete response.
asio::awaitable<void> run_handler(ServerState& state, HttpRequest& request,
                                  BeastResponseWriter& writer) {
  std::exception_ptr failure;
  try {
    co_await state.router.dispatch(request, writer);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!writer.response_started()) {
    co_await writer.send(error_response(500, failure ? "Internal server error while handling the request"
                                                     : "The handler produced no response",
                                        "server_error", "internal_error"));
  } else if (writer.sse_open()) {
    co_await writer.end_sse();
  }
}

}  // namespace

asio::awaitable<void> serve_connection(ServerState& state, std::shared_ptr<ConnectionControl> control,
                                       beast::tcp_stream stream) {
  control->stream = &stream;
  ConnectionRegistration registration(state, control);
  const std::string remote_address = remote_address_of(stream);
  beast::flat_buffer buffer;
  boost::system::error_code ec;

  try {
    while (!state.stopping.load()) {
      // Idle connections hold only their socket and this frame; release the read buffer.
      if (buffer.size() == 0) buffer.shrink_to_fit();
      control->idle = buffer.size() == 0;
      RequestParser parser;
      parser.header_limit(state.options.max_header_bytes);
      parser.body_limit(state.options.max_body_bytes);

      // Waiting for a request's first bytes is idling (idle_timeout); once they come, the whole
      // header must follow within header_timeout, so a client that trickles a header byte now
      // and then (slowloris) cannot hold its connection for long.
      if (buffer.size() == 0) {
        stream.expires_after(state.options.idle_timeout);
        const size_t n = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes),
                                                         asio::redirect_error(asio::use_awaitable, ec));
        buffer.commit(n);
        if (ec) break;  // closed, or idle too long: nobody to answer
      }
      control->idle = false;
      stream.expires_after(state.options.header_timeout);
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      // A Transfer-Encoding that does not end in chunked leaves the body's length unknown
      // (RFC 9112, 6.3): reading on would take the body for the next request.
      if (!ec && parser.get().count(http::field::transfer_encoding) > 0 && !parser.chunked()) {
        stream.expires_never();
        HttpResponse refusal = error_response(400, "Transfer-Encoding must end in chunked", "invalid_request_error", "bad_request");
        co_await reject_request(state, stream, parser, std::move(refusal), remote_address);
        break;
      }
      if (!ec && !parser.is_done()) {
        if (iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, 11};
          stream.expires_after(state.options.write_timeout);
          co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
        }
        if (!ec) {
          stream.expires_after(state.options.read_timeout);
          co_await http::async_read(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
        }
      }
      stream.expires_never();
      if (ec) {
        if (auto response = response_for_read_error(ec, state)) {
          co_await reject_request(state, stream, parser, std::move(*response), remote_address);
        }
        break;
      }

      ActiveRequest active(state.active_requests);
      Clock::time_point start = Clock::now();
      bool keep_alive = parser.get().keep_alive();
      HttpRequest request = to_request(parser.release(), remote_address);
      BeastResponseWriter writer(stream, {request.request_id, request.version, keep_alive,
                                          &state.stopping, state.options.write_timeout});
      co_await run_handler(state, request, writer);
      log_request(state, request, writer, start);
      if (!writer.reusable()) break;
    }
  } catch (const std::exception&) {
    // Cancelled at forced shutdown: nothing left to answer, just release the socket.
  }

  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream.close();
}

void close_connections(ServerState& state, bool only_idle, bool cancel_handlers) {
  std::lock_guard lock(state.mutex);
  for (const auto& control : state.connections) {
    asio::post(control->executor, [control, only_idle, cancel_handlers] {
      if (!control->stream || (only_idle && !control->idle)) return;
      if (cancel_handlers) control->cancel.emit(asio::cancellation_type::terminal);
      control->stream->close();
    });
  }
}

}  // namespace tachyon::http_internal
