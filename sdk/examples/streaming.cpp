// Response streaming: chunks printed as they arrive, the final usage chunk, and a stream left early
// (which closes its connection, so the server stops generating).
#include <cstdio>

#include "example_env.h"
#include "tachyon/client/client.h"

using namespace tachyon::client;

int main() {
  Client client;
  ChatCompletionRequest request{
      .model = example_model(),
      .messages = {{"user", "Explain what determines LLM inference throughput on accelerators."}},
      .max_tokens = 48};
  auto stream = client.chat().completions().stream(request);
  int chunks = 0;
  for (auto& chunk : stream) {
    ++chunks;
    if (!chunk.choices.empty() && chunk.choices[0].delta.content) {
      std::printf("%s", chunk.choices[0].delta.content->c_str());
      std::fflush(stdout);
    }
  }
  std::printf("\n%d chunks", chunks);
  if (stream.usage()) std::printf("; usage: %lld completion tokens", static_cast<long long>(stream.usage()->completion_tokens));
  std::printf("\n");

  int read = 0;
  for (auto& chunk : client.chat().completions().stream(request)) {
    (void)chunk;
    if (++read == 3) break;  // leaving the loop closes this stream's connection
  }
  std::printf("left a second stream after %d chunks\n", read);
  return chunks > 0 && stream.usage() ? 0 : 1;
}
