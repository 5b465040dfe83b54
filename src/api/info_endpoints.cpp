// GET /v1/models, /v1/models/{id}, /health, /ready, /metrics; POST /tokenize, /detokenize.
#include <fmt/format.h>

#include "api/api_error.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/responses.h"
#include "api/tokenize_api.h"

namespace tachyon::endpoints {
namespace {

ModelCard card(const ServedModel& m) { return ModelCard{m.name, m.created, "tachyon"}; }

// Tokenize endpoints take an optional "model" query parameter; without one they use the first
// served model the caller may use.
Result<std::shared_ptr<ServedModel>> model_for(ServerContext& ctx, const Caller& caller, const HttpRequest& req) {
  if (const auto name = req.query_param("model")) return model_for_caller(ctx, caller, *name);
  for (auto& m : ctx.models.all())
    if (!caller.key || caller.key->allows_model(m->name)) return m;
  return model_not_found("");
}

}  // namespace

asio::awaitable<void> list_models(ServerContext& ctx, Caller& caller, const HttpRequest&, ResponseWriter& writer) {
  std::vector<ModelCard> cards;
  for (const auto& m : ctx.models.all())
    if (!caller.key || caller.key->allows_model(m->name)) cards.push_back(card(*m));
  HttpResponse response = HttpResponse::json(200, model_list_json(cards));
  co_await writer.send(std::move(response));
}

asio::awaitable<void> get_model(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  const std::string id(req.path_param("id"));
  const std::shared_ptr<ServedModel> m = ctx.models.find(id);
  if (!m || (caller.key && !caller.key->allows_model(id))) co_return co_await send_error(writer, model_not_found(id));
  HttpResponse response = HttpResponse::json(200, model_json(card(*m)));
  co_await writer.send(std::move(response));
}

asio::awaitable<void> tokenize(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_tokenize_request(req.body);
  if (!parsed) co_return co_await send_error(writer, parsed.error());
  auto m = model_for(ctx, caller, req);
  if (!m) co_return co_await send_error(writer, m.error());
  const auto ids = (*m)->bundle->tokenizer->encode(parsed->content, parsed->add_special, parsed->add_special);
  HttpResponse response = HttpResponse::json(200, tokenize_response_json(ids));
  co_await writer.send(std::move(response));
}

asio::awaitable<void> detokenize(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_detokenize_request(req.body);
  if (!parsed) co_return co_await send_error(writer, parsed.error());
  auto m = model_for(ctx, caller, req);
  if (!m) co_return co_await send_error(writer, m.error());
  const Tokenizer& tok = *(*m)->bundle->tokenizer;
  for (int32_t id : parsed->tokens)
    if (id >= tok.n_vocab())
      co_return co_await send_error(writer, invalid_param("tokens", "token id {} is not in the vocabulary", id));
  HttpResponse response = HttpResponse::json(200, detokenize_response_json(tok.decode(parsed->tokens)));
  co_await writer.send(std::move(response));
}

asio::awaitable<void> health(ServerContext&, const HttpRequest&, ResponseWriter& writer) {
  HttpResponse response = HttpResponse::json(200, R"({"status":"ok"})");
  co_await writer.send(std::move(response));
}

asio::awaitable<void> ready(ServerContext& ctx, const HttpRequest&, ResponseWriter& writer) {
  if (ctx.ready && !ctx.draining) {
    HttpResponse response = HttpResponse::json(200, R"({"status":"ready"})");
    co_await writer.send(std::move(response));
    co_return;
  }
  const Error error = make_error(ErrorKind::Unavailable, "models are not loaded yet or the server is stopping");
  co_await send_error(writer, error);
}

asio::awaitable<void> metrics(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  if (Status allowed = authorize_metrics(ctx, req); !allowed) co_return co_await send_error(writer, allowed.error());
  if (ctx.platform.limiter) ctx.metrics.set_rate_limit_backend_up(ctx.platform.limiter->check_backend().ok());
  HttpResponse response = HttpResponse::text(200, ctx.metrics.scrape(ctx.models.stats()));
  response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  co_await writer.send(std::move(response));
}

}  // namespace tachyon::endpoints
