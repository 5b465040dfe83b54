#pragma once
// Internal to src/http: ResponseWriter over a Beast TCP stream.
#include <atomic>
#include <chrono>
#include <string>

#include <boost/beast/core/tcp_stream.hpp>

#include "http/response_writer.h"

namespace tachyon::http_internal {

namespace beast = boost::beast;

// Writes one request's response. Lives on the connection's strand for one request.
class BeastResponseWriter final : public ResponseWriter {
 public:
  struct Settings {
    std::string request_id;
    int version = 11;                 // the request's HTTP version, 10 or 11
    bool keep_alive = true;           // what the client asked for
    const std::atomic<bool>* stopping = nullptr;  // a stopping server closes after responding
    std::chrono::milliseconds write_timeout{30'000};
  };

  BeastResponseWriter(beast::tcp_stream& stream, Settings settings);

  asio::awaitable<bool> send(HttpResponse response) override;
  asio::awaitable<bool> start_sse(int status, HttpHeaders headers) override;
  asio::awaitable<bool> send_event(std::string data) override;
  asio::awaitable<bool> end_sse() override;
  bool client_gone() override;
  bool response_started() const override { return state_ != State::fresh; }

  // True while an SSE stream is open (started, not ended, no failure).
  bool sse_open() const { return state_ == State::streaming && !failed_; }
  // Whether the connection may serve another request after this response.
  bool reusable() const { return keep_alive_ && !failed_ && state_ != State::streaming; }
  int status() const { return status_; }
  bool streamed() const { return streamed_; }

 private:
  enum class State { fresh, streaming, done };

  bool decide_keep_alive();
  template <typename Buffers>
  asio::awaitable<bool> write_raw(const Buffers& buffers);

  beast::tcp_stream& stream_;
  Settings settings_;
  State state_ = State::fresh;
  bool keep_alive_ = true;
  bool failed_ = false;
  bool streamed_ = false;
  bool chunked_ = true;
  int status_ = 0;
};

}  // namespace tachyon::http_internal
