#pragma once
// Who is calling: the bearer key of a request, checked against the key ring; the admin key for
// /admin/; and the rate-limit headers every authenticated response carries. Expected failures
// are Errors (Unauthenticated 401, PermissionDenied 403) for the endpoints to send.
#include <optional>

#include "api/server_context.h"
#include "http/router.h"
#include "platform/key_ring.h"
#include "platform/rate_limiter.h"

namespace tachyon {

// The caller of one request. Owned by the request's handler coroutine.
struct Caller {
  std::optional<platform::AuthenticatedKey> key;  // nullopt: the server runs open
  std::optional<platform::RateSnapshot> rate;     // set at admission; otherwise headers peek
};

// The served model `name` as the caller may see it: 403 when its key may not use that model,
// else what find_served() answers, whose 404 lists only the models the key may use.
Result<std::shared_ptr<ServedModel>> model_for_caller(ServerContext& ctx, const Caller& caller, std::string_view name);

// The key a request presents in "Authorization: Bearer KEY", or no key when the server runs
// open (no keys in the store and auth not required). Unauthenticated when the header is
// missing, malformed or names no usable key. May read the store (see KeyRing).
Result<Caller> authenticate(ServerContext& ctx, const HttpRequest& req);

// Ok when the request presents the admin key. Unauthenticated without a bearer or with an
// unknown one, PermissionDenied for a user key or when no admin key is configured.
Status authorize_admin(ServerContext& ctx, const HttpRequest& req);

// /metrics: anyone on loopback, or the metrics key when one is configured.
Status authorize_metrics(ServerContext& ctx, const HttpRequest& req);

// A keyed endpoint: runs after authentication with the request's caller.
using KeyedHandler = asio::awaitable<void> (*)(ServerContext&, Caller&, const HttpRequest&, ResponseWriter&);

// Authenticates the request, then runs `handler` with a writer that adds the x-ratelimit-*
// headers (OpenAI's long forms and X-RateLimit-Limit/Remaining/Reset) to whatever it sends,
// streams included. Sends the 401 itself.
asio::awaitable<void> with_api_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer,
                                   KeyedHandler handler);

// The model a metered endpoint's usage row names for a request refused when it arrives; called
// only when that row is written.
using UsageModelOf = std::string (*)(const HttpRequest&);

// with_api_key for an endpoint that does work for its caller: the request takes its place in the
// key's request bucket before `handler` runs, and a key over its request limit is refused (429,
// or 503 when the limits cannot be checked and the server fails closed) before its body is
// parsed. The handler admits the request's tokens itself (admit_tokens). A null `model_of`
// takes nothing: with_api_key().
asio::awaitable<void> with_metered_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer,
                                       KeyedHandler handler, UsageModelOf model_of);

// The rate-limit headers for a snapshot; a dimension without a limit has none.
HttpHeaders rate_limit_headers(const platform::RateSnapshot& snapshot);

}  // namespace tachyon
