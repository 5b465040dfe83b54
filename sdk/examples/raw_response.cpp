// Raw response access: status, headers, request id and rate-limit state, then the parsed body.
#include <chrono>
#include <cstdio>

#include "example_env.h"
#include "tachyon/client/client.h"

using namespace tachyon::client;

int main() {
  Client client;
  auto response = client.chat().completions().with_raw_response(
      {.model = example_model(), .messages = {{"user", "OpenAI o-series reasoning model benchmarks"}}, .max_tokens = 8});
  std::printf("Status Code: %d\n", response.status_code());
  std::printf("Request ID: %s\n", response.request_id().c_str());
  auto remaining = response.rate_limit_remaining();
  auto reset = response.rate_limit_reset();
  std::printf("Rate Limit Remaining: %s\n", remaining ? std::to_string(*remaining).c_str() : "(no limit)");
  std::printf("Rate Limit Reset: %s\n",
              reset ? (std::to_string(std::chrono::duration<double>(*reset).count()) + " s").c_str() : "(no limit)");
  std::printf("Elapsed: %.1f ms\n", std::chrono::duration<double, std::milli>(response.elapsed()).count());
  ChatCompletion answer = response.parse();
  std::printf("Answer: %s\n", answer.choices.at(0).message.content.value_or("").c_str());
  return response.status_code() == 200 && !response.request_id().empty() ? 0 : 1;
}
