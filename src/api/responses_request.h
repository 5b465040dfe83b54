#pragma once
// POST /v1/responses (OpenAI's Responses API; Perplexity's Agent API has the same shape) in
// terms of chat completions: the request becomes the chat completion request it means, which
// the chat endpoint then runs, and the fields a Response object echoes are kept.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace tachyon {

struct ResponsesRequest {
  // The equivalent /v1/chat/completions body, but for "messages", which chat_body_with() adds.
  nlohmann::ordered_json chat_body;
  nlohmann::ordered_json input_messages;  // `input` as chat messages
  std::optional<std::string> instructions;  // a leading system message; never carried over
  nlohmann::ordered_json echo;  // fields the Response object repeats (instructions, tools, ...)
  bool stream = false;
  bool store = true;                  // keep the Response for previous_response_id (OpenAI's default)
  std::string previous_response_id;  // continue from this stored Response ("" : none)

  // The chat completion body: instructions, then `earlier` (the messages of the response this
  // one continues, its answer included), then the input.
  nlohmann::ordered_json chat_body_with(const nlohmann::ordered_json& earlier) const;
};

// Maps `input` (a string, or items: messages with text content, `function_call` and
// `function_call_output`), `instructions`, `max_output_tokens`, `temperature`, `top_p`, `seed`,
// `text.format`, `tools` (type "function", and "web_search": its search_context_size and
// filters become grounded chat's options), `tool_choice`, `parallel_tool_calls`, `disable_search`,
// `stream`, `store`, `previous_response_id`. 400s name the field (unsupported item or tool types,
// unknown web_search fields, wrong JSON types).
Result<ResponsesRequest> parse_responses_request(std::string_view body);

// A stored Response's answer as chat messages: its text as an assistant turn, its function
// calls as that turn's tool_calls.
nlohmann::ordered_json response_output_messages(const nlohmann::ordered_json& response);

}  // namespace tachyon
