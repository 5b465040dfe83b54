#pragma once
// POST /v1/chat/completions (and Perplexity's /chat/completions, the same protocol): the request
// body parsed and checked into a plain value.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/generation_params.h"
#include "api/tool_request.h"
#include "util/result.h"

namespace tachyon {

// One message of the conversation, its role normalized and its content flattened to text.
struct ChatRequestMessage {
  std::string role;     // "system", "user", "assistant" or "tool"; "developer" becomes "system"
  std::string content;  // text parts concatenated; empty for an assistant turn with null content
  // An assistant turn's tool calls, normalized to [{"id", "type": "function", "function":
  // {"name", "arguments"}}] with arguments as the string sent; null when it made none.
  nlohmann::ordered_json tool_calls = nullptr;
  std::string tool_call_id;  // a "tool" turn: the id of the call it answers (required)
  std::string name;          // a "tool" turn: the function's name, when given or known
};

struct ChatCompletionRequest {
  GenerationParams params;  // sampling.logprobs / n_top_logprobs from logprobs / top_logprobs
  std::vector<ChatRequestMessage> messages;  // never empty
  ToolRequest tools;                         // tools, tool_choice, parallel_tool_calls
};

// Parses a chat completion request body. Malformed JSON, a missing or empty `messages`, an
// unknown role, or a content part other than text are 400s whose param names the field
// (e.g. "messages[2].content"), as are malformed tool calls, a tool message without
// tool_call_id, and bad `tools`/`tool_choice`/`response_format`. Perplexity's search options are
// read by parse_chat_search_options (grounding.h); other fields this server does not act on are
// ignored. Pure, callable from any thread.
Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view body);

}  // namespace tachyon
