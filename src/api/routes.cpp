#include "api/routes.h"

#include <fmt/format.h>

#include "api/api_error.h"
#include "api/endpoints.h"
#include "api/json_fields.h"
#include "api/metering.h"
#include "api/search_request.h"

namespace tachyon {
namespace {

asio::awaitable<void> refuse_deep_json(ResponseWriter& writer) {
  const Error e{fmt::format("The request body nests arrays and objects more than {} levels deep", kMaxJsonDepth),
                ErrorKind::InvalidArgument, {}};
  co_await writer.send(HttpResponse::json(400, error_body(e)));
}

// Bodies nested beyond kMaxJsonDepth never reach a handler.
bool too_deep(const HttpRequest& req) { return json_nesting_depth(req.body) > kMaxJsonDepth; }

}  // namespace

Router make_router(ServerContext& ctx) {
  Router router;
  auto bind = [&ctx](auto fn) -> Handler {
    return [&ctx, fn](const HttpRequest& req, ResponseWriter& writer) {
      return too_deep(req) ? refuse_deep_json(writer) : fn(ctx, req, writer);
    };
  };
  // Endpoints behind an API key (open when the server runs without keys).
  auto keyed = [&ctx](KeyedHandler fn) -> Handler {
    return [&ctx, fn](const HttpRequest& req, ResponseWriter& writer) {
      return too_deep(req) ? refuse_deep_json(writer) : with_api_key(ctx, req, writer, fn);
    };
  };
  // Endpoints that do work for the key: each request takes one from its request limit first.
  auto metered = [&ctx](KeyedHandler fn, UsageModelOf model_of) -> Handler {
    return [&ctx, fn, model_of](const HttpRequest& req, ResponseWriter& writer) {
      return too_deep(req) ? refuse_deep_json(writer) : with_metered_key(ctx, req, writer, fn, model_of);
    };
  };
  const UsageModelOf named = [](const HttpRequest& req) { return requested_model(req.body); };
  const UsageModelOf inner_named = [](const HttpRequest& req) { return requested_model(req.body, "request"); };
  const UsageModelOf search_model = [](const HttpRequest&) { return std::string(kSearchUsageModel); };
  router.post("/v1/chat/completions", metered(endpoints::chat_completions, named));
  router.post("/chat/completions", metered(endpoints::chat_completions, named));  // Perplexity's path
  router.post("/v1/completions", metered(endpoints::completions, named));
  router.post("/v1/embeddings", metered(endpoints::embeddings, named));
  router.post("/v1/responses", metered(endpoints::responses_create, named));  // OpenAI's and Perplexity's path
  router.get("/v1/responses/{id}", keyed(endpoints::responses_get));
  router.get("/v1/models", keyed(endpoints::list_models));
  router.get("/v1/models/{id}", keyed(endpoints::get_model));
  router.post("/async/chat/completions", metered(endpoints::async_create, inner_named));
  router.get("/async/chat/completions", keyed(endpoints::async_list));
  router.get("/async/chat/completions/{id}", keyed(endpoints::async_get));
  router.post("/search", metered(endpoints::search, search_model));  // Perplexity's Search API
  router.post("/tokenize", metered(endpoints::tokenize, named));
  router.post("/detokenize", metered(endpoints::detokenize, named));
  router.get("/health", bind(endpoints::health));
  router.get("/ready", bind(endpoints::ready));
  router.get("/metrics", bind(endpoints::metrics));
  router.get("/admin/keys", bind(endpoints::admin_list_keys));
  router.post("/admin/keys", bind(endpoints::admin_create_key));
  router.add("DELETE", "/admin/keys/{id}", bind(endpoints::admin_revoke_key));
  router.post("/admin/keys/{id}/rotate", bind(endpoints::admin_rotate_key));
  router.get("/admin/usage", bind(endpoints::admin_usage));
  router.get("/admin/models", bind(endpoints::admin_list_models));
  router.post("/admin/models", bind(endpoints::admin_load_model));
  router.add("DELETE", "/admin/models/{name}", bind(endpoints::admin_unload_model));
  router.get("/admin/requests/{request_id}", bind(endpoints::admin_request_log));
  return router;
}

}  // namespace tachyon
