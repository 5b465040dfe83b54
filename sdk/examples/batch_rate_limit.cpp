// Batch processing with rate limiting: `batch()` keeps at most `concurrency` requests in flight,
// starts at most `requests_per_second`, and when the server still says 429 it pauses and sends
// again, so no RateLimitError reaches the loop.
//   batch_rate_limit [N=20] [REQUESTS_PER_SECOND=1] [CONCURRENCY=5]
#include <cstdio>
#include <vector>

#include "example_env.h"
#include "tachyon/client/client.h"

using namespace tachyon::client;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20;
  double rate = argc > 2 ? std::atof(argv[2]) : 1.0;
  std::size_t concurrency = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 5;
  Client client;
  std::vector<ChatCompletionRequest> requests;
  for (int i = 0; i < n; ++i) {
    requests.push_back({.model = example_model(), .messages = {{"user", "query " + std::to_string(i)}}, .max_tokens = 4});
  }
  int ok = 0, rate_limited = 0, failed = 0;
  auto results = client.batch(requests, {.concurrency = concurrency, .requests_per_second = rate});
  for (auto& result : results) {
    try {
      const ChatCompletion& answer = result.get();
      ++ok;
      std::printf("query %zu: %s\n", result.index, answer.choices.at(0).message.content.value_or("").c_str());
    } catch (const RateLimitError& e) {
      ++rate_limited;
      std::printf("query %zu: rate limited: %s\n", result.index, e.what());
    } catch (const std::exception& e) {
      ++failed;
      std::printf("query %zu: %s\n", result.index, e.what());
    }
  }
  std::printf("%d succeeded, %d rate limited, %d failed; %zu resent after 429\n", ok, rate_limited, failed,
              results.summary().rate_limit_resends);
  return ok == n ? 0 : 1;
}
