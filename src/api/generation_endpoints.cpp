// POST /v1/chat/completions (also /chat/completions) and POST /v1/completions. A request refused
// before it reaches the engine (invalid, a model the key may not use or the server does not
// serve) still leaves its usage row, committed before the refusal is sent (refuse_generation).
#include <fmt/format.h>

#include "api/api_error.h"
#include "api/chat_prompt.h"
#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/grounding.h"
#include "api/metering.h"
#include "api/search_request.h"
#include "api/search_service.h"
#include "api/structured_output.h"
#include "search/date_text.h"

namespace tachyon::endpoints {
namespace {

// The model a request names, or a 404 listing what is served, a 403 when the caller's key may
// not use it, a 400 when it is an embedding model, or a 429 when its queue is full: under
// overload most requests are refused here, before searching, rendering and tokenizing.
Result<std::shared_ptr<ServedModel>> resolve_model(ServerContext& ctx, const Caller& caller, const std::string& name) {
  auto model = model_for_caller(ctx, caller, name);
  if (!model) return model;
  if (!(*model)->engine) return embedding_model_error(name);
  if (Status room = (*model)->engine->check_room(); !room) return room.error();
  return model;
}

// What retrieval adds to a chat request: the conversation with its sources, and what the
// response and the usage row report about the search.
struct Grounding {
  std::vector<ChatRequestMessage> messages;
  std::optional<std::vector<SourceInfo>> sources;  // nullopt: no search was run or asked for
  int32_t search_queries = 0;
  std::optional<std::string> context_size;
};

// Grounded chat: on a model served with search (and unless the request sets disable_search),
// searches the index for the last user turn and adds the best passages, numbered, to the system
// turn, as many as the context size asks for and the model's context holds next to the room
// kept for the answer (max_tokens, else a quarter of the context).
asio::awaitable<Result<Grounding>> ground(ServerContext& ctx, const ServedModel& model, const ChatCompletionRequest& chat,
                                          std::string_view body) {
  Result<ChatSearchOptions> options = parse_chat_search_options(body, search::today());
  if (!options) co_return options.error();
  Grounding out;
  out.messages = chat.messages;
  if (!model.grounded || options->disabled) co_return out;
  out.context_size = std::string(context_size_name(options->context_size));
  if (!ctx.search) co_return make_error(ErrorKind::Unavailable, "search is not enabled on this server");
  if (auto index = ctx.search->index(); !index) {
    Error e = index.error();
    e.message += "; or send \"disable_search\": true to answer without sources";
    co_return e;
  }
  out.sources.emplace();
  const std::string query = grounding_query(chat.messages, kMaxSearchQueryBytes);
  if (query.empty()) co_return out;
  const SourceBudget budget = source_budget(options->context_size);
  std::vector<search::SearchQuery> queries{{query, options->filters, budget.max_sources}};
  auto results = co_await ctx.search->run(std::move(queries));
  if (!results) co_return results.error();
  out.search_queries = 1;
  std::vector<search::SearchHit> hits = results->empty() ? std::vector<search::SearchHit>{} : std::move(results->front());
  for (search::SearchHit& hit : hits) hit.snippet = search::first_words(hit.snippet, budget.words_per_source);

  const ModelBundle& bundle = *model.bundle;
  const int64_t n_ctx = model.engine->n_ctx();
  const int64_t answer_room = chat.params.max_tokens.value_or(int32_t(n_ctx / 4));
  const auto max_prompt = size_t(std::max<int64_t>(0, n_ctx - answer_room - 1));
  auto count_tokens = [&](const std::vector<ChatRequestMessage>& messages) -> size_t {
    auto prompt = render_chat_prompt(bundle, messages, chat.tools);
    return prompt ? chat_prompt_tokens(bundle, *prompt).size() : 0;
  };
  out.messages = fit_grounded_messages(chat.messages, hits, max_prompt, count_tokens);
  *out.sources = source_infos(hits);
  co_return out;
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
  Result<Grounding> grounding = co_await ground(ctx, **model, *parsed, req.body);
  if (!grounding)
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, grounding.error(), writer);
  auto prompt = render_chat_prompt(bundle, grounding->messages, parsed->tools);
  if (!prompt) {
    const Error e = invalid_param("messages", "{}", prompt.error().message);
    co_return co_await refuse_generation(ctx, caller, req, parsed->params.model, e, writer);
  }
  GenerationJob job;
  job.constraint = std::move(constraint.value());
  job.tools = std::move(parsed->tools);
  job.format = ResponseFormat::Chat;
  job.prompt = chat_prompt_tokens(bundle, *prompt);
  job.params = std::move(parsed->params);
  job.prompt_param = "messages";
  job.caller = &caller;
  job.endpoint = req.path;
  job.request_id = req.request_id;
  job.request_body = req.body;
  job.sources = std::move(grounding->sources);
  job.search_queries = grounding->search_queries;
  job.search_context_size = std::move(grounding->context_size);
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
