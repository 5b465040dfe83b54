#include "http_connection.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tachyon::client::detail {

using tcp = asio::ip::tcp;

HttpConnection::HttpConnection(const Strand& strand, asio::ssl::context* tls) {
  if (tls) {
    stream_ = std::make_unique<Tls>(strand, *tls);
  } else {
    stream_ = std::make_unique<Plain>(strand);
  }
}

beast::tcp_stream& HttpConnection::lowest() {
  return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(*s); }, stream_);
}

asio::awaitable<ErrorCode> HttpConnection::connect(const BaseUrl& url, TimePoint deadline) {
  ErrorCode ec;
  tcp::resolver resolver(lowest().get_executor());
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec;
  if (Clock::now() >= deadline) co_return beast::error::timeout;
  lowest().expires_at(deadline);
  co_await lowest().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return ec;
  lowest().socket().set_option(tcp::no_delay(true), ec);
  if (auto* tls = std::get_if<std::unique_ptr<Tls>>(&stream_)) {
    if (!SSL_set_tlsext_host_name((*tls)->native_handle(), url.host.c_str())) {
      co_return ErrorCode(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    (*tls)->set_verify_callback(asio::ssl::host_name_verification(url.host));
    co_await (*tls)->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

asio::awaitable<ErrorCode> HttpConnection::write(http::request<http::string_body>& request, TimePoint deadline) {
  lowest().expires_at(deadline);
  ErrorCode ec;
  co_await std::visit(
      [&](auto& s) -> asio::awaitable<void> {
        co_await http::async_write(*s, request, asio::redirect_error(asio::use_awaitable, ec));
      },
      stream_);
  co_return ec;
}

asio::awaitable<ErrorCode> HttpConnection::read_header(http::response_parser<http::empty_body>& parser,
                                                       TimePoint deadline) {
  lowest().expires_at(deadline);
  ErrorCode ec;
  co_await std::visit(
      [&](auto& s) -> asio::awaitable<void> {
        co_await http::async_read_header(*s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
      },
      stream_);
  co_return ec;
}

asio::awaitable<ErrorCode> HttpConnection::read_some(http::response_parser<http::buffer_body>& parser,
                                                     TimePoint deadline) {
  lowest().expires_at(deadline);
  ErrorCode ec;
  co_await std::visit(
      [&](auto& s) -> asio::awaitable<void> {
        co_await http::async_read_some(*s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
      },
      stream_);
  if (ec == http::error::need_buffer) ec = {};
  co_return ec;
}

bool HttpConnection::usable_when_idle() {
  auto& socket = lowest().socket();
  if (!socket.is_open() || buffer_.size() > 0) return false;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void HttpConnection::close() {
  ErrorCode ec;
  auto& socket = lowest().socket();
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace tachyon::client::detail
