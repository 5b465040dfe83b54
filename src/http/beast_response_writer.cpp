#include "http/beast_response_writer.h"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace tachyon {

std::string format_sse_event(std::string_view data) {
  std::string event;
  event.reserve(data.size() + 16);
  while (true) {
    size_t newline = data.find('\n');
    event += "data: ";
    event += data.substr(0, newline);
    event += '\n';
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  event += '\n';
  return event;
}

namespace http_internal {

namespace http = beast::http;

namespace {

template <typename Fields>
void copy_headers(const HttpHeaders& from, Fields& to) {
  for (const auto& [name, value] : from.entries()) to.insert(name, value);
}

}  // namespace

BeastResponseWriter::BeastResponseWriter(beast::tcp_stream& stream, Settings settings)
    : stream_(stream), settings_(std::move(settings)), keep_alive_(settings_.keep_alive) {}

bool BeastResponseWriter::decide_keep_alive() {
  if (settings_.stopping && settings_.stopping->load()) keep_alive_ = false;
  return keep_alive_;
}

template <typename Buffers>
asio::awaitable<bool> BeastResponseWriter::write_raw(const Buffers& buffers) {
  boost::system::error_code ec;
  stream_.expires_after(settings_.write_timeout);
  co_await asio::async_write(stream_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  stream_.expires_never();
  if (ec) failed_ = true;
  co_return !ec;
}

asio::awaitable<bool> BeastResponseWriter::send(HttpResponse response) {
  if (state_ != State::fresh || failed_) co_return false;
  state_ = State::done;
  status_ = response.status;

  http::response<http::string_body> message{static_cast<http::status>(response.status),
                                            settings_.version};
  copy_headers(response.headers, message);
  message.set(http::field::server, "tachyon");
  message.set("X-Request-ID", settings_.request_id);
  message.keep_alive(decide_keep_alive());
  message.body() = std::move(response.body);
  message.prepare_payload();

  boost::system::error_code ec;
  stream_.expires_after(settings_.write_timeout);
  co_await http::async_write(stream_, message, asio::redirect_error(asio::use_awaitable, ec));
  stream_.expires_never();
  if (ec) failed_ = true;
  co_return !ec;
}

asio::awaitable<bool> BeastResponseWriter::start_sse(int status, HttpHeaders headers) {
  if (state_ != State::fresh || failed_) co_return false;
  state_ = State::streaming;
  status_ = status;
  streamed_ = true;

  http::response<http::empty_body> message{static_cast<http::status>(status), settings_.version};
  if (!headers.contains("Content-Type")) headers.set("Content-Type", "text/event-stream");
  if (!headers.contains("Cache-Control")) headers.set("Cache-Control", "no-cache");
  // Tells buffering reverse proxies (nginx) to pass events through as they come.
  headers.set("X-Accel-Buffering", "no");
  copy_headers(headers, message);
  message.set(http::field::server, "tachyon");
  message.set("X-Request-ID", settings_.request_id);
  // HTTP/1.0 has no chunked encoding: the stream then ends by closing the connection.
  chunked_ = settings_.version >= 11;
  if (!chunked_) keep_alive_ = false;
  message.keep_alive(decide_keep_alive());
  message.chunked(chunked_);

  http::response_serializer<http::empty_body> serializer{message};
  boost::system::error_code ec;
  stream_.expires_after(settings_.write_timeout);
  co_await http::async_write_header(stream_, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  stream_.expires_never();
  if (ec) failed_ = true;
  co_return !ec;
}

asio::awaitable<bool> BeastResponseWriter::send_event(std::string data) {
  if (state_ != State::streaming || client_gone()) co_return false;
  std::string event = format_sse_event(data);
  if (chunked_) co_return co_await write_raw(http::make_chunk(asio::buffer(event)));
  co_return co_await write_raw(asio::buffer(event));
}

asio::awaitable<bool> BeastResponseWriter::end_sse() {
  if (state_ != State::streaming || failed_) co_return false;
  state_ = State::done;
  if (!chunked_) co_return true;
  co_return co_await write_raw(http::make_chunk_last());
}

bool BeastResponseWriter::client_gone() {
  if (failed_) return true;
  if (!stream_.socket().is_open()) {
    failed_ = true;
    return true;
  }
  // A zero-byte peek means the peer sent FIN. Checking here lets a stream notice a departed
  // client before the kernel reports a failed write, which can take a write or two.
  char byte;
  ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    failed_ = true;
  }
  return failed_;
}

}  // namespace http_internal
}  // namespace tachyon
