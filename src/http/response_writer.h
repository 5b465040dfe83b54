#pragma once
// How a handler answers: either one complete response, or a Server-Sent Events stream.
// The connection supplies the implementation; handlers see only this interface.
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "http/http_message.h"

namespace tachyon {

namespace asio = boost::asio;

// Write side of one request. Used only from the handler's coroutine (the connection's strand).
// Every write returns false once the client is gone or the write timed out; the handler should
// then stop producing (e.g. cancel the generation) and return. Calls out of order (a second
// send, an event before start_sse) are programmer errors and also return false.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends a complete response; X-Request-ID and Content-Length are added by the writer.
  virtual asio::awaitable<bool> send(HttpResponse response) = 0;

  // Starts a text/event-stream response (chunked on HTTP/1.1); `headers` are added to it.
  virtual asio::awaitable<bool> start_sse(int status = 200, HttpHeaders headers = {}) = 0;
  // Writes one event: each line of `data` as "data: <line>\n", then a blank line.
  virtual asio::awaitable<bool> send_event(std::string data) = 0;
  // Ends the stream so the connection can serve the next request.
  virtual asio::awaitable<bool> end_sse() = 0;

  // True once a write failed or the peer closed its side (a client that only half-closes
  // counts as gone: streaming clients do not); cheap, does not block.
  virtual bool client_gone() = 0;
  // True once send() or start_sse() has put a status line on the wire.
  virtual bool response_started() const = 0;
};

// The bytes of one SSE event for `data` (see send_event).
std::string format_sse_event(std::string_view data);

}  // namespace tachyon
