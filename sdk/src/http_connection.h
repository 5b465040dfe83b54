// One HTTP/1.1 connection, plain TCP or TLS, with a deadline on every operation.
#pragma once

#include <chrono>
#include <memory>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "url.h"

namespace tachyon::client::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Strand = asio::strand<asio::any_io_executor>;
using ErrorCode = boost::system::error_code;

// Used on the client's strand only.
class HttpConnection {
 public:
  HttpConnection(const Strand& strand, asio::ssl::context* tls);

  // Resolves, connects and (for TLS) handshakes, all before `deadline`.
  asio::awaitable<ErrorCode> connect(const BaseUrl& url, TimePoint deadline);
  asio::awaitable<ErrorCode> write(http::request<http::string_body>& request, TimePoint deadline);
  asio::awaitable<ErrorCode> read_header(http::response_parser<http::empty_body>& parser, TimePoint deadline);
  template <class Parser>
  asio::awaitable<ErrorCode> read(Parser& parser, TimePoint deadline);
  // Reads what is available into a buffer_body parser (need_buffer is not an error).
  asio::awaitable<ErrorCode> read_some(http::response_parser<http::buffer_body>& parser, TimePoint deadline);
  // False when the peer has closed it or sent bytes nobody asked for (an idle connection gone bad).
  bool usable_when_idle();
  void close();

  TimePoint idle_since{};
  bool reused = false;  // served a request before this one

 private:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;
  beast::tcp_stream& lowest();

  std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream_;
  beast::flat_buffer buffer_;
};

template <class Parser>
asio::awaitable<ErrorCode> HttpConnection::read(Parser& parser, TimePoint deadline) {
  lowest().expires_at(deadline);
  ErrorCode ec;
  co_await std::visit(
      [&](auto& s) -> asio::awaitable<void> {
        co_await http::async_read(*s, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
      },
      stream_);
  co_return ec;
}

}  // namespace tachyon::client::detail
