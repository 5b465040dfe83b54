#include "api/access_control.h"

#include "api/generation_session.h"
#include "api/metering.h"
#include "api/rate_limit_admission.h"
#include "platform/time_text.h"

namespace tachyon {
namespace {

// The token of "Authorization: Bearer TOKEN" (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(const HttpRequest& req) {
  const auto header = req.headers.get("Authorization");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

Error missing_key() {
  return Error{"You didn't provide an API key. Send it as a bearer token: 'Authorization: Bearer KEY'",
               ErrorKind::Unauthenticated};
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

// Adds the caller's rate-limit headers to every response it forwards.
class RateLimitHeadersWriter final : public ResponseWriter {
 public:
  RateLimitHeadersWriter(ResponseWriter& inner, ServerContext& ctx, Caller& caller)
      : inner_(inner), ctx_(ctx), caller_(caller) {}

  // Plain functions returning the inner writer's awaitable: the headers are added at call time.
  asio::awaitable<bool> send(HttpResponse response) override {
    add_headers(response.headers);
    return inner_.send(std::move(response));
  }
  asio::awaitable<bool> start_sse(int status, HttpHeaders headers) override {
    add_headers(headers);
    return inner_.start_sse(status, std::move(headers));
  }
  asio::awaitable<bool> send_event(std::string data) override { return inner_.send_event(std::move(data)); }
  asio::awaitable<bool> end_sse() override { return inner_.end_sse(); }
  bool client_gone() override { return inner_.client_gone(); }
  bool response_started() const override { return inner_.response_started(); }

 private:
  void add_headers(HttpHeaders& headers) {
    const std::optional<platform::RateSnapshot> snapshot =
        caller_.rate ? caller_.rate : current_rate_snapshot(ctx_, *caller_.key);
    if (!snapshot) return;
    const HttpHeaders rate_headers = rate_limit_headers(*snapshot);
    for (const auto& [name, value] : rate_headers.entries()) headers.set(name, value);
  }

  ResponseWriter& inner_;
  ServerContext& ctx_;
  Caller& caller_;
};

}  // namespace

HttpHeaders rate_limit_headers(const platform::RateSnapshot& snapshot) {
  HttpHeaders h;
  auto add = [&h](std::string_view unit, const platform::LimitState& s) {
    h.set(fmt::format("x-ratelimit-limit-{}", unit), std::to_string(s.limit));
    h.set(fmt::format("x-ratelimit-remaining-{}", unit), std::to_string(s.remaining));
    h.set(fmt::format("x-ratelimit-reset-{}", unit), platform::format_reset_duration(s.reset_ms));
  };
  if (snapshot.requests) {
    add("requests", *snapshot.requests);
    h.set("X-RateLimit-Limit", std::to_string(snapshot.requests->limit));
    h.set("X-RateLimit-Remaining", std::to_string(snapshot.requests->remaining));
    h.set("X-RateLimit-Reset", std::to_string((snapshot.requests->reset_ms + 999) / 1000));
  }
  if (snapshot.tokens) add("tokens", *snapshot.tokens);
  return h;
}

Result<std::shared_ptr<ServedModel>> model_for_caller(ServerContext& ctx, const Caller& caller, std::string_view name) {
  if (!caller.key) return find_served(ctx.models, name);
  const platform::AuthenticatedKey& key = *caller.key;
  if (!key.allows_model(name))
    return Error{fmt::format("This API key may not use the model '{}'", name), ErrorKind::PermissionDenied, "model"};
  return find_served(ctx.models, name, [&key](std::string_view n) { return key.allows_model(n); });
}

Result<Caller> authenticate(ServerContext& ctx, const HttpRequest& req) {
  platform::KeyRing* keys = ctx.platform.keys.get();
  if (!keys) return Caller{};
  if (!ctx.platform.auth_required) {
    auto any = keys->has_keys();
    if (!any) return any.error();
    if (!*any) return Caller{};
  }
  const auto token = bearer_token(req);
  if (!token) return missing_key();
  auto key = keys->authenticate(*token);
  if (!key) return key.error();
  return Caller{std::move(*key), std::nullopt};
}

Status authorize_admin(ServerContext& ctx, const HttpRequest& req) {
  const auto token = bearer_token(req);
  if (!token) return missing_key();
  if (ctx.platform.admin_key && platform::hashes_equal(platform::hash_secret(*token), *ctx.platform.admin_key))
    return Status::success();
  // A user key is a known caller without the right; anything else is unknown.
  if (ctx.platform.keys && ctx.platform.keys->authenticate(*token).ok())
    return Error{"The admin API needs the admin key, not a user key", ErrorKind::PermissionDenied};
  if (!ctx.platform.admin_key)
    return Error{"The admin API is disabled: start the server with --admin-key-file or TACHYON_ADMIN_KEY",
                 ErrorKind::PermissionDenied};
  return Error{"Incorrect API key provided", ErrorKind::Unauthenticated};
}

Status authorize_metrics(ServerContext& ctx, const HttpRequest& req) {
  if (ctx.platform.metrics_key) {
    const auto token = bearer_token(req);
    if (token && platform::hashes_equal(platform::hash_secret(*token), *ctx.platform.metrics_key))
      return Status::success();
    if (!token) return missing_key();
    return Error{"Incorrect metrics key provided", ErrorKind::Unauthenticated};
  }
  if (is_loopback(req.remote_address)) return Status::success();
  return Error{"/metrics is served to loopback clients only unless the server has a metrics key",
               ErrorKind::PermissionDenied};
}

asio::awaitable<void> with_api_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer,
                                   KeyedHandler handler) {
  co_await with_metered_key(ctx, req, writer, handler, nullptr);
}

asio::awaitable<void> with_metered_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer,
                                       KeyedHandler handler, UsageModelOf model_of) {
  auto caller = authenticate(ctx, req);
  if (!caller) co_return co_await send_error(writer, caller.error());
  if (!caller->key) co_return co_await handler(ctx, *caller, req, writer);
  RateLimitHeadersWriter headed(writer, ctx, *caller);
  if (model_of) {
    if (const RateDecision door = admit_request(ctx, *caller); !door.admitted()) {
      // The body is read for its model only when the refusal's row is kept.
      platform::UsageRecord refused = refusal_usage_row(*caller, req, "", 429);
      const platform::UsageRecorder::FillRow named = [&req, model_of](platform::UsageRecord& row) {
        row.model = model_of(req);
      };
      co_return co_await refuse_unadmitted(ctx, std::move(refused), *caller, door, headed, named);
    }
  }
  co_await handler(ctx, *caller, req, headed);
}

}  // namespace tachyon
