#include "api/routes.h"

#include "api/endpoints.h"

namespace tachyon {

Router make_router(ServerContext& ctx) {
  Router router;
  auto bind = [&ctx](auto fn) -> Handler {
    return [&ctx, fn](const HttpRequest& req, ResponseWriter& writer) { return fn(ctx, req, writer); };
  };
  router.post("/v1/chat/completions", bind(endpoints::chat_completions));
  router.post("/chat/completions", bind(endpoints::chat_completions));  // Perplexity's path
  router.post("/v1/completions", bind(endpoints::completions));
  router.get("/v1/models", bind(endpoints::list_models));
  router.get("/v1/models/{id}", bind(endpoints::get_model));
  router.post("/tokenize", bind(endpoints::tokenize));
  router.post("/detokenize", bind(endpoints::detokenize));
  router.get("/health", bind(endpoints::health));
  router.get("/ready", bind(endpoints::ready));
  router.get("/metrics", bind(endpoints::metrics));
  return router;
}

}  // namespace tachyon
