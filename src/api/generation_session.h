#pragma once
// Runs one generation request end to end on an engine: admits it under its key's rate limits
// (before it can queue), submits its n choices, forwards engine events to the client (as SSE
// chunks, or as one JSON body at the end), records metrics, commits its usage row before the
// response's last bytes (refusals included: shutting down, context too long, over the rate
// limit, engine queue full), and cancels the engine work the moment the client goes away.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/access_control.h"
#include "api/generation_params.h"
#include "api/responses.h"
#include "api/tool_request.h"
#include "api/server_context.h"
#include "http/response_writer.h"

namespace tachyon {

enum class ResponseFormat { Chat, Text };

struct GenerationJob {
  ResponseFormat format = ResponseFormat::Chat;
  std::vector<int32_t> prompt;
  GenerationParams params;
  std::string prompt_param;  // the request field holding the prompt, for errors: "messages" / "prompt"
  std::string echo_text;     // text completions with echo: the prompt text, sent before the output
  Caller* caller = nullptr;  // who asked; without a key (open mode) there are no limits
  std::string endpoint;      // the request path, for the usage row
  std::string request_id;    // the response's X-Request-ID, for the usage row
  std::string request_body;  // as sent, for the request log (unless the key keeps no text)
  std::shared_ptr<MaskCache> constraint;  // constrained output (response_format, forced call)
  ToolRequest tools;  // chat: active tools turn the output into tool calls (see tool_calls.h)
  // Grounded chat: the prompt's numbered sources (reported as citations and search_results),
  // the searches run (usage, and priced as the "search" model's per-request price) and the
  // context size asked for. nullopt / 0: not grounded.
  std::optional<std::vector<SourceInfo>> sources;
  int32_t search_queries = 0;
  std::optional<std::string> search_context_size;
};

asio::awaitable<void> run_generation(ServerContext& ctx, ServedModel& model, GenerationJob job, ResponseWriter& writer);

// Sends an Error in OpenAI's shape with its status (429 also gets Retry-After).
asio::awaitable<void> send_error(ResponseWriter& writer, const Error& error);
// Sends a JSON body with its status (invalid UTF-8 in it replaced, as dump_json does).
asio::awaitable<void> send_json(ResponseWriter& writer, int status, const nlohmann::ordered_json& body);

}  // namespace tachyon
