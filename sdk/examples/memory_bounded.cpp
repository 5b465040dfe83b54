// Memory-bounded processing: inputs generated lazily and results reduced as they arrive, so
// memory stays the same for ten requests or ten million.
//   memory_bounded [N=100]
#include <cstdio>
#include <ranges>

#include "example_env.h"
#include "tachyon/client/client.h"

using namespace tachyon::client;

// Keeps only what we need from each answer.
struct Summary {
  std::size_t index;
  std::size_t length;
};

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100;
  Client client;
  auto queries = std::views::iota(0, n) | std::views::transform([](int i) {
                   return ChatCompletionRequest{.model = example_model(),
                                                .messages = {{"user", "query " + std::to_string(i)}},
                                                .max_tokens = 4};
                 });
  std::size_t processed = 0, failed = 0, characters = 0;
  for (auto& result : client.batch(queries, {.concurrency = 5})) {
    if (!result.ok()) {
      ++failed;
      continue;
    }
    Summary summary{result.index, result.value->choices.at(0).message.content.value_or("").size()};
    characters += summary.length;
    ++processed;
  }
  std::printf("processed %zu of %d (failed %zu), %zu characters in all\n", processed, n, failed, characters);
  return processed == static_cast<std::size_t>(n) ? 0 : 1;
}
