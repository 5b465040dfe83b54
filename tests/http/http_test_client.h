#pragma once
// A blocking HTTP/1.1 client over a plain POSIX socket for the server tests: every wait is
// bounded by a poll() timeout so a broken server fails a test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tachyon::http_test {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

class TestClient {
 public:
  explicit TestClient(uint16_t port, int timeout_ms = 5000) : timeout_ms_(timeout_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) close();
  }
  ~TestClient() { close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_raw(const std::string& bytes) {
    size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return sent == bytes.size();
  }

  // Sends one request; `extra_headers` are complete lines ending in "\r\n".
  bool send_request(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "") {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          extra_headers;
    if (!body.empty() || method == "POST") {
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return send_raw(request + "\r\n" + body);
  }

  // Bytes from the socket: "" on a clean close, nullopt on timeout or error.
  std::optional<std::string> receive_some() {
    pollfd poll_fd{fd_, POLLIN, 0};
    if (fd_ < 0 || ::poll(&poll_fd, 1, timeout_ms_) <= 0) return std::nullopt;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0) return std::nullopt;
    return std::string(chunk, static_cast<size_t>(n));
  }

  // True when the server closed the connection (within the timeout).
  bool wait_closed() {
    while (true) {
      std::optional<std::string> bytes = receive_some();
      if (!bytes) return false;
      if (bytes->empty()) return true;
    }
  }

  // Starts reading a response; call read_more() until it returns true (done) or nullopt.
  void begin_response() {
    parser_.emplace();
    parser_->eager(true);
    parser_->body_limit(boost::none);
  }

  // Feeds buffered and newly received bytes; true once the response is complete,
  // false when more is needed, nullopt on timeout, close or parse error.
  std::optional<bool> read_more() {
    while (!pending_.empty()) {
      boost::system::error_code ec;
      size_t used = parser_->put(boost::asio::buffer(pending_), ec);
      pending_.erase(0, used);
      if (ec == http::error::need_more) break;
      if (ec) return std::nullopt;
      if (parser_->is_done()) return true;
      if (used == 0) break;
    }
    std::optional<std::string> bytes = receive_some();
    if (!bytes || bytes->empty()) return std::nullopt;
    pending_ += *bytes;
    return false;
  }

  // The response being (or just) read.
  const Response& partial() const { return parser_->get(); }

  // Reads one complete response, or nullopt.
  std::optional<Response> read_response() {
    begin_response();
    while (true) {
      std::optional<bool> done = read_more();
      if (!done) return std::nullopt;
      if (*done) return parser_->release();
    }
  }

  std::optional<Response> request(const std::string& method, const std::string& target,
                                  const std::string& body = "",
                                  const std::string& extra_headers = "") {
    if (!send_request(method, target, body, extra_headers)) return std::nullopt;
    return read_response();
  }

 private:
  int fd_ = -1;
  int timeout_ms_;
  std::string pending_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

}  // namespace tachyon::http_test
