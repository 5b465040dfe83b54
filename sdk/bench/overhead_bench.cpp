// The SDK's own overhead: requests per second through one AsyncClient against a server that
// answers at once, so the figure is the client's cost per request (plus the server's, the same
// for any client; scripts/sdk_overhead.sh runs the npm openai SDK against the same server).
//   overhead_bench serve                      prints "port N", answers until killed
//   overhead_bench client URL N CONCURRENCY   N chat completions from CONCURRENCY coroutines
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <boost/asio.hpp>

#include "tachyon/client/client.h"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string kBody =
    R"({"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})";
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: bench\r\nContent-Length: " +
                              std::to_string(kBody.size()) + "\r\n\r\n" + kBody;

// Reads requests (head and Content-Length body) and answers each with kResponse, keeping the connection.
asio::awaitable<void> serve_connection(tcp::socket socket) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      boost::system::error_code ec;
      std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      buffer.append(chunk, n);
    }
    std::size_t length = 0;
    for (const char* name : {"Content-Length:", "content-length:"}) {
      auto at = buffer.find(name);
      if (at != std::string::npos && at < head_end) length = std::stoul(buffer.substr(at + std::strlen(name)));
    }
    while (buffer.size() < head_end + 4 + length) {
      boost::system::error_code ec;
      std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      buffer.append(chunk, n);
    }
    buffer.erase(0, head_end + 4 + length);
    boost::system::error_code ec;
    co_await asio::async_write(socket, asio::buffer(kResponse), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

int serve() {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::printf("port %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
          socket.set_option(tcp::no_delay(true));
          asio::co_spawn(io, serve_connection(std::move(socket)), asio::detached);
        }
      },
      asio::detached);
  io.run();
  return 0;
}

int client(const std::string& url, int n, int concurrency) {
  using namespace tachyon::client;
  ClientOptions options;
  options.base_url = url;
  options.api_key = "bench";
  options.max_retries = 0;
  options.pool.max_connections = static_cast<std::size_t>(concurrency);
  options.pool.max_keepalive_connections = static_cast<std::size_t>(concurrency);
  asio::io_context io(1);
  AsyncClient sdk(io.get_executor(), options);
  ChatCompletionRequest request{.model = "bench", .messages = {{"user", "Hello"}}, .max_tokens = 1};
  int next = 0, ok = 0, failed = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < n) {
      ++next;
      try {
        ChatCompletion answer = co_await sdk.chat().completions().create(request);
        ok += answer.choices.size() == 1;
      } catch (const std::exception&) {
        ++failed;
      }
    }
  };
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < concurrency; ++i) asio::co_spawn(io, worker(), asio::detached);
  io.run();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("tachyon-client: %d requests (%d failed), concurrency %d, %zu connections: %.0f requests/s\n", ok + failed,
              failed, concurrency, sdk.connections_opened(), (ok + failed) / seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "serve") return serve();
  if (argc >= 5 && std::string(argv[1]) == "client") return client(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  std::fprintf(stderr, "usage: overhead_bench serve | overhead_bench client URL N CONCURRENCY\n");
  return 2;
}
