#pragma once
// POST /v1/responses (OpenAI's Responses API; Perplexity's Agent API has the same shape) in
// terms of chat completions: the request becomes the chat completion request it means, which
// the chat endpoint then runs, and the fields a Response object echoes are kept.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace tachyon {

struct ResponsesRequest {
  nlohmann::ordered_json chat_body;  // the equivalent /v1/chat/completions body
  nlohmann::ordered_json echo;       // fields the Response object repeats (instructions, tools, ...)
  bool stream = false;
};

// Maps `input` (a string, or items: messages with text content, `function_call` and
// `function_call_output`), `instructions`, `max_output_tokens`, `temperature`, `top_p`, `seed`,
// `text.format`, `tools` (type "function"), `tool_choice`, `parallel_tool_calls`, `stream`.
// 400s name the field: unsupported item or tool types, and `previous_response_id` (responses
// are not stored, so there is nothing to continue from: send the earlier items in `input`).
Result<ResponsesRequest> parse_responses_request(std::string_view body);

}  // namespace tachyon
