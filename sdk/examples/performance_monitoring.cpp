// Performance monitoring: a PerformanceMonitor attached to the client records every request and
// stream (counts, errors, latency and time-to-first-token percentiles).
#include <cstdio>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "example_env.h"
#include "tachyon/client/client.h"

namespace asio = boost::asio;
using namespace tachyon::client;

int main() {
  auto monitor = std::make_shared<PerformanceMonitor>();
  asio::io_context io;
  AsyncClient client(io.get_executor());
  client.attach(monitor);
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          ChatCompletionRequest request{.model = example_model(),
                                        .messages = {{"user", "test query " + std::to_string(i)}},
                                        .max_tokens = 8};
          if (i % 2 == 0) {
            co_await client.chat().completions().create(request);
          } else {
            auto stream = co_await client.chat().completions().stream(request);
            while (co_await stream.next()) {
            }
          }
        },
        asio::detached);
  }
  io.run();
  PerformanceStats stats = monitor->stats();
  std::printf("%s\n", monitor->summary().c_str());
  return stats.requests == 10 && stats.errors == 0 && stats.ttft.count == 5 ? 0 : 1;
}
