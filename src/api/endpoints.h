#pragma once
// One handler per endpoint. Each parses its request with the protocol layer, calls the engine
// or registry, and answers in OpenAI's shapes; errors go through send_error. Handlers taking a
// Caller run behind with_api_key (authenticated, rate-limit headers on every response).
#include "api/access_control.h"
#include "api/server_context.h"
#include "http/router.h"

namespace tachyon::endpoints {

asio::awaitable<void> chat_completions(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> completions(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
// POST /v1/responses (responses_endpoint.cpp), run as a chat completion; GET
// /v1/responses/{id}, a stored Response of the caller's key.
asio::awaitable<void> responses_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> responses_get(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> list_models(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> get_model(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> tokenize(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> detokenize(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
// Perplexity's async chat completions (see async_job_runner.h).
asio::awaitable<void> async_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> async_list(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> async_get(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
// POST /v1/embeddings (embeddings_endpoint.cpp): vectors from a served embedding model.
asio::awaitable<void> embeddings(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
// POST /search (search_endpoint.cpp): Perplexity's Search API over the data directory's index.
asio::awaitable<void> search(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> health(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> ready(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> metrics(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);

// The admin API (admin key only): GET/POST /admin/keys, DELETE /admin/keys/{id},
// POST /admin/keys/{id}/rotate, GET /admin/usage.
asio::awaitable<void> admin_list_keys(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_create_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_revoke_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_rotate_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_usage(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
// GET/POST /admin/models, DELETE /admin/models/{name} (model_admin_endpoints.cpp): models
// loaded and unloaded while the server runs.
asio::awaitable<void> admin_list_models(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_load_model(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> admin_unload_model(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
// GET /admin/requests/{request_id}: a request's log while it is retained.
asio::awaitable<void> admin_request_log(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);

}  // namespace tachyon::endpoints
