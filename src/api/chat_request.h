#pragma once
// POST /v1/chat/completions (and Perplexity's /chat/completions, the same protocol): the request
// body parsed and checked into a plain value.
#include <string>
#include <string_view>
#include <vector>

#include "api/generation_params.h"
#include "util/result.h"

namespace tachyon {

// One message of the conversation, its role normalized and its content flattened to text.
struct ChatRequestMessage {
  std::string role;     // "system", "user", "assistant" or "tool"; "developer" becomes "system"
  std::string content;  // text parts concatenated; empty for an assistant turn with null content
};

struct ChatCompletionRequest {
  GenerationParams params;  // sampling.logprobs / n_top_logprobs from logprobs / top_logprobs
  std::vector<ChatRequestMessage> messages;  // never empty
};

// Parses a chat completion request body. Malformed JSON, a missing or empty `messages`, an
// unknown role, or a content part other than text are 400s whose param names the field
// (e.g. "messages[2].content"). Fields this server does not act on, Perplexity's search options
// among them, are ignored. Pure, callable from any thread.
Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view body);

}  // namespace tachyon
