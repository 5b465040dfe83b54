// Shared helpers of the SDK's tests: options pointing at a scripted server, a sleeper that only
// records, canned JSON answers.
#pragma once

#include <mutex>
#include <vector>

#include "scripted_server.h"
#include "tachyon/client/client.h"

namespace tachyon::client {

// Records each retry wait and returns at once, so tests with retries take no time.
class RecordingSleeper {
 public:
  Sleeper sleeper() {
    return [this](Duration d) -> boost::asio::awaitable<void> {
      std::lock_guard lock(mutex_);
      delays_.push_back(d);
      co_return;
    };
  }
  std::vector<Duration> delays() const {
    std::lock_guard lock(mutex_);
    return delays_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Duration> delays_;
};

inline ClientOptions test_options(const testing::ScriptedServer& server, RecordingSleeper& sleeper) {
  ClientOptions options;
  options.base_url = server.base_url();
  options.api_key = "test-key";
  options.sleeper = sleeper.sleeper();
  options.random = [] { return 0.0; };
  return options;
}

inline ChatCompletionRequest hello_request() {
  return ChatCompletionRequest{.model = "m", .messages = {{"user", "Hello"}}, .max_tokens = 8};
}

inline std::string chat_completion_json(const std::string& content) {
  return Json{{"id", "chatcmpl-1"},
              {"object", "chat.completion"},
              {"created", 1},
              {"model", "m"},
              {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
              {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 1}, {"total_tokens", 4}}},
              {"citations", {"https://example.com"}}}
      .dump();
}

inline std::string chunk_json(const std::string& content) {
  return Json{{"id", "c"}, {"object", "chat.completion.chunk"}, {"model", "m"},
              {"choices", {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", nullptr}}}}}
      .dump();
}

inline std::string usage_chunk_json() {
  return Json{{"id", "c"}, {"object", "chat.completion.chunk"}, {"model", "m"}, {"choices", Json::array()},
              {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 2}, {"total_tokens", 7}}}}
      .dump();
}

}  // namespace tachyon::client
