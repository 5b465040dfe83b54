// Basic async usage: one request awaited in a coroutine, and the same as a future.
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "example_env.h"
#include "tachyon/client/client.h"

namespace asio = boost::asio;
using namespace tachyon::client;

int main() {
  asio::io_context io;
  AsyncClient client(io.get_executor());  // runs on our io_context
  ChatCompletionRequest request{.model = example_model(),
                                .messages = {{"user", "Name three factors of LLM inference throughput."}},
                                .max_tokens = 24};
  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        ChatCompletion answer = co_await client.chat().completions().create(request);
        std::printf("%s\n", answer.choices.at(0).message.content.value_or("").c_str());
        std::printf("tokens: %lld prompt, %lld completion\n", static_cast<long long>(answer.usage->prompt_tokens),
                    static_cast<long long>(answer.usage->completion_tokens));
        status = 0;
      },
      [](std::exception_ptr error) {
        if (!error) return;
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "error: %s\n", e.what());
        }
      });
  io.run();

  // The future form, from a client with its own I/O thread.
  AsyncClient threaded;
  auto future = threaded.chat().completions().create_future(request);
  std::printf("future: %zu choice(s)\n", future.get().choices.size());
  return status;
}
