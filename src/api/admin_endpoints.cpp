// The admin API: keys and usage over HTTP, for the admin key only. Each handler is one short
// store transaction on the I/O thread.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "api/access_control.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "platform/key_admin.h"
#include "platform/time_text.h"

namespace tachyon::endpoints {
namespace {

using ordered_json = nlohmann::ordered_json;

// The store, or the reason the admin API cannot answer: the caller is not the admin, or the
// server keeps no store.
Result<platform::Store*> admin_store(ServerContext& ctx, const HttpRequest& req) {
  if (Status allowed = authorize_admin(ctx, req); !allowed) return allowed.error();
  if (!ctx.platform.store) return make_error(ErrorKind::Unavailable, "this server keeps no key store");
  return ctx.platform.store.get();
}

// Makes a change visible to authentication at once rather than after the refresh interval.
void reload_keys(ServerContext& ctx) {
  if (ctx.platform.keys) (void)ctx.platform.keys->reload();
}

}  // namespace

asio::awaitable<void> admin_list_keys(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  auto keys = (*store)->list_keys();
  if (!keys) co_return co_await send_error(writer, keys.error());
  const int64_t now = platform::system_now_ms();
  ordered_json data = ordered_json::array();
  for (const auto& k : *keys) data.push_back(platform::key_json(k, now));
  ordered_json body = ordered_json::object();
  body["object"] = "list";
  body["data"] = std::move(data);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> admin_create_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) co_return co_await send_error(writer, make_error("the request body is not valid JSON"));
  auto spec = platform::parse_new_key_json(body);
  if (!spec) co_return co_await send_error(writer, spec.error());
  const int64_t now = platform::system_now_ms();
  auto issued = platform::create_key(**store, *spec, now);
  if (!issued) co_return co_await send_error(writer, issued.error());
  reload_keys(ctx);
  const ordered_json issued_json = platform::key_json(issued->key, now, issued->secret);
  co_await send_json(writer, 201, issued_json);
}

asio::awaitable<void> admin_revoke_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  const std::string id(req.path_param("id"));
  const int64_t now = platform::system_now_ms();
  if (Status s = (*store)->revoke_key(id, now); !s) co_return co_await send_error(writer, s.error());
  auto key = (*store)->get_key(id);
  if (!key) co_return co_await send_error(writer, key.error());
  reload_keys(ctx);
  const ordered_json body = platform::key_json(*key, now);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> admin_rotate_key(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  int64_t grace_ms = 86'400'000;
  if (!req.body.empty()) {
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      co_return co_await send_error(writer, make_error("the request body must be a JSON object"));
    if (auto it = body.find("grace"); it != body.end() && !it->is_null()) {
      if (!it->is_string()) co_return co_await send_error(writer, invalid_param("grace", "'grace' must be a duration such as \"24h\""));
      auto parsed = platform::parse_duration(it->get<std::string>());
      if (!parsed) co_return co_await send_error(writer, invalid_param("grace", "{}", parsed.error().message));
      grace_ms = *parsed;
    }
  }
  const int64_t now = platform::system_now_ms();
  auto issued = platform::rotate_key(**store, std::string(req.path_param("id")), grace_ms, now);
  if (!issued) co_return co_await send_error(writer, issued.error());
  reload_keys(ctx);
  ordered_json body = platform::key_json(issued->key, now, issued->secret);
  body["previous_secret_expires_at"] = platform::format_timestamp(now + grace_ms);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> admin_usage(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  platform::UsageQuery query;
  if (auto key = req.query_param("key")) query.key_id = *key;
  if (auto request = req.query_param("request_id")) query.request_id = *request;
  for (const char* name : {"since", "until"}) {
    auto text = req.query_param(name);
    if (!text) continue;
    auto ms = platform::parse_date(*text);
    if (!ms) co_return co_await send_error(writer, invalid_param(name, "{}", ms.error().message));
    // A plain date in `until` includes that whole day.
    if (std::string_view(name) == "until") query.until_ms = *ms + (text->size() == 10 ? 86'400'000 : 0);
    else query.since_ms = *ms;
  }
  if (auto by = req.query_param("by")) {
    if (*by == "day") query.by = platform::UsageGrouping::Day;
    else if (*by == "model") query.by = platform::UsageGrouping::Model;
    else if (*by == "key") query.by = platform::UsageGrouping::Key;
    else co_return co_await send_error(writer, invalid_param("by", "'by' must be day, model or key"));
  }
  auto report = (*store)->query_usage(query);
  if (!report) co_return co_await send_error(writer, report.error());
  const ordered_json body = platform::usage_report_json(*report);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> admin_request_log(ServerContext& ctx, const HttpRequest& req, ResponseWriter& writer) {
  auto store = admin_store(ctx, req);
  if (!store) co_return co_await send_error(writer, store.error());
  // Clients choose their request ids, so requests of two keys can share one: the id alone names
  // a log only when one key used it; ?key_id= picks among them.
  const std::string request_id(req.path_param("request_id"));
  auto logs = (*store)->request_logs(request_id);
  if (!logs) co_return co_await send_error(writer, logs.error());
  const std::optional<std::string> key_id = req.query_param("key_id");
  std::vector<platform::RequestLog> matching;
  std::vector<std::string> keys;
  for (platform::RequestLog& l : *logs) {
    if (key_id && l.key_id != *key_id) continue;
    if (std::find(keys.begin(), keys.end(), l.key_id) == keys.end()) keys.push_back(l.key_id);
    matching.push_back(std::move(l));
  }
  if (matching.empty()) {
    const Error e{key_id ? fmt::format("no request log for '{}' by key '{}'", request_id, *key_id)
                         : fmt::format("no request log for '{}'", request_id),
                  ErrorKind::NotFound, "request_id"};
    co_return co_await send_error(writer, e);
  }
  if (keys.size() > 1) {
    const Error e{fmt::format("request id '{}' was used by {} keys ({}); name one with ?key_id=", request_id,
                              keys.size(), fmt::join(keys, ", ")),
                  ErrorKind::Conflict, "key_id"};
    co_return co_await send_error(writer, e);
  }
  const platform::RequestLog* log = &matching.front();  // the newest
  ordered_json body = ordered_json::object();
  body["request_id"] = log->request_id;
  body["key_id"] = log->key_id;
  body["model"] = log->model;
  body["endpoint"] = log->endpoint;
  body["created_at"] = platform::format_timestamp(log->created_ms);
  body["status"] = log->status;
  // The request as sent; a body that was not JSON is kept as a string.
  ordered_json request = ordered_json::parse(log->request_json, nullptr, false);
  body["request"] = request.is_discarded() ? ordered_json(log->request_json) : std::move(request);
  body["choices"] = ordered_json::parse(log->response_text, nullptr, false);
  co_await send_json(writer, 200, body);
}

}  // namespace tachyon::endpoints
