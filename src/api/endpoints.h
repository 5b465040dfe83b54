#pragma once
// One handler per endpoint. Each parses its request with the protocol layer, calls the engine
// or registry, and answers in OpenAI's shapes; errors go through send_error.
#include "api/server_context.h"
#include "http/router.h"

namespace tachyon::endpoints {

asio::awaitable<void> chat_completions(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> completions(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> list_models(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> get_model(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> tokenize(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> detokenize(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> health(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> ready(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);
asio::awaitable<void> metrics(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer);

}  // namespace tachyon::endpoints
