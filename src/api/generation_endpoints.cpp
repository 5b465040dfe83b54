// POST /v1/chat/completions (also /chat/completions) and POST /v1/completions. A request refused
// before it reaches the engine (invalid, a model the key may not use or the server does not
// serve) still leaves its usage row, committed before the refusal is sent (refuse_generation).
#include <fmt/format.h>

#include "api/api_error.h"
#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "api/structured_output.h"
#include "api/tool_prompt.h"

namespace tachyon::endpoints {
namespace {

// The model a request names, or a 404 listing what is served, or a 403 when the caller's key
// may not use it.
Result<ServedModel*> resolve_model(ServerContext& ctx, const Caller& caller, const std::string& name) {
  if (caller.key && !caller.key->allows_model(name))
    return Error{fmt::format("This API key may not use the model '{}'", name), ErrorKind::PermissionDenied, "model"};
  if (ServedModel* m = ctx.models.find(name)) return m;
  Error e = model_not_found(name);
  e.message += fmt::format(" (available: {})", fmt::join(ctx.models.names(), ", "));
  return e;
}

}  // namespace

asio::awaitable<void> chat_completions(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_chat_completion_request(req.body);
  if (!parsed) {
    const std::string named = requested_model(req.body);
    co_return co_await refuse_generation(ctx, caller, req, named, parsed.error(), writer);
  }
  auto model = resolve_model(ctx, caller, parsed->params.model);
  if (!model) co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, model.error(), writer);
  const ModelBundle& bundle = *(*model)->bundle;
  auto constraint =
      output_constraint(bundle.constraints, bundle.token_vocabulary(), parsed->params.output_format, parsed->tools);
  if (!constraint)
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, constraint.error(), writer);
  const bool template_tools = bundle.chat_template->supports_tools();
  const std::vector<ChatMessage> messages = template_messages(parsed->messages, parsed->tools, template_tools);
  auto prompt = bundle.render_chat(messages, template_tools && parsed->tools.active() ? parsed->tools.tools_json
                                                                                      : nlohmann::ordered_json());
  if (!prompt) {
    const Error e = invalid_param("messages", "{}", prompt.error().message);
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, e, writer);
  }
  GenerationJob job;
  job.constraint = std::move(constraint.value());
  job.tools = std::move(parsed->tools);
  job.format = ResponseFormat::Chat;
  job.prompt = bundle.tokenizer->encode(*prompt, true, true);
  job.params = std::move(parsed->params);
  job.prompt_param = "messages";
  job.caller = &caller;
  job.endpoint = req.path;
  job.request_id = req.request_id;
  job.request_body = req.body;
  co_await run_generation(ctx, **model, std::move(job), writer);
}

asio::awaitable<void> completions(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_completion_request(req.body);
  if (!parsed) {
    const std::string named = requested_model(req.body);
    co_return co_await refuse_generation(ctx, caller, req, named, parsed.error(), writer);
  }
  auto model = resolve_model(ctx, caller, parsed->params.model);
  if (!model) co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, model.error(), writer);
  const Tokenizer& tokenizer = *(*model)->bundle->tokenizer;
  GenerationJob job;
  job.format = ResponseFormat::Text;
  if (const auto* text = std::get_if<std::string>(&parsed->prompt)) {
    job.prompt = tokenizer.encode(*text, true, false);
    if (parsed->echo) job.echo_text = *text;
  } else {
    job.prompt = std::get<std::vector<int32_t>>(parsed->prompt);
    for (int32_t id : job.prompt) {
      if (id < 0 || id >= tokenizer.n_vocab()) {
        const Error e = invalid_param("prompt", "token id {} is not in the vocabulary", id);
        co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, e, writer);
      }
    }
    if (parsed->echo) job.echo_text = tokenizer.decode(job.prompt);
  }
  if (job.prompt.empty()) {
    const Error e = invalid_param("prompt", "the prompt is empty");
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, e, writer);
  }
  const ModelBundle& bundle = *(*model)->bundle;
  auto constraint = output_constraint(bundle.constraints, bundle.token_vocabulary(), parsed->params.output_format, ToolRequest{});
  if (!constraint)
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, constraint.error(), writer);
  job.constraint = std::move(constraint.value());
  job.params = std::move(parsed->params);
  job.prompt_param = "prompt";
  job.caller = &caller;
  job.endpoint = req.path;
  job.request_id = req.request_id;
  job.request_body = req.body;
  co_await run_generation(ctx, **model, std::move(job), writer);
}

}  // namespace tachyon::endpoints
