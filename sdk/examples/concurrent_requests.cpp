// Concurrent requests: many coroutines on one AsyncClient, all in flight together.
#include <chrono>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "example_env.h"
#include "tachyon/client/client.h"

namespace asio = boost::asio;
using namespace tachyon::client;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  int ok = 0, failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    ChatCompletionRequest request{.model = example_model(),
                                  .messages = {{"user", "test query " + std::to_string(i)}},
                                  .max_tokens = 8};
    asio::co_spawn(io, client.chat().completions().create(request), [&, i](std::exception_ptr error, ChatCompletion answer) {
      if (error) {
        ++failed;
        return;
      }
      ++ok;
      std::printf("%d: %s\n", i, answer.choices.at(0).message.content.value_or("").c_str());
    });
  }
  io.run();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d succeeded, %d failed in %.2f s\n", ok, failed, seconds);
  return failed == 0 && ok == n ? 0 : 1;
}
