// Perplexity's async chat completions: POST /async/chat/completions stores a job and answers at
// once; GET /async/chat/completions lists the key's jobs; GET /async/chat/completions/{id}
// returns one with its response. AsyncJobRunner runs the jobs. A refused submission leaves a
// usage row under its X-Request-ID; an accepted one leaves none of its own (its job's run has
// the row, under the job id).
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/async_job_runner.h"
#include "api/chat_request.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "platform/time_text.h"

namespace tachyon::endpoints {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json optional_seconds(const std::optional<int64_t>& ms) {
  return ms ? ordered_json(*ms / 1000) : ordered_json(nullptr);
}

// The job as Perplexity returns it; with `full`, also its response and error message.
ordered_json job_json(const platform::AsyncJob& job, bool full) {
  ordered_json j = ordered_json::object();
  j["id"] = job.id;
  j["model"] = job.model;
  j["created_at"] = job.created_ms / 1000;
  j["started_at"] = optional_seconds(job.started_ms);
  j["completed_at"] = optional_seconds(job.completed_ms);
  j["failed_at"] = optional_seconds(job.failed_ms);
  j["status"] = platform::job_status_name(job.status);
  if (full) {
    ordered_json response = nullptr;
    if (job.status == platform::JobStatus::Completed) {
      response = ordered_json::parse(job.response_json, nullptr, false);
      if (response.is_discarded()) response = nullptr;
    }
    j["response"] = std::move(response);
    j["error_message"] = job.error_message.empty() ? ordered_json(nullptr) : ordered_json(job.error_message);
  }
  return j;
}

// The jobs' owner: the caller's key, or "" when the server runs open.
std::string owner_of(const Caller& caller) { return caller.key ? caller.key->id : std::string(); }

// Checks the inner chat request of a submission; returns it as it will be run (never streamed).
Result<nlohmann::json> job_request(ServerContext& ctx, const Caller& caller, const std::string& body) {
  const nlohmann::json outer = nlohmann::json::parse(body, nullptr, false);
  if (outer.is_discarded() || !outer.is_object()) return make_error("the request body must be a JSON object");
  auto inner = outer.find("request");
  if (inner == outer.end() || !inner->is_object())
    return invalid_param("request", "'request' must be a chat completion request object");
  nlohmann::json request = *inner;
  request["stream"] = false;
  auto parsed = parse_chat_completion_request(request.dump());
  if (!parsed) {
    Error e = parsed.error();
    e.param = e.param.empty() ? "request" : "request." + e.param;
    return e;
  }
  const std::string& model = parsed->params.model;
  auto served = model_for_caller(ctx, caller, model);
  if (!served) return served.error();
  if (!(*served)->engine) return embedding_model_error(model);
  return request;
}

// Checks a submission and stores its job, or says why it is refused.
Result<platform::AsyncJob> store_job(ServerContext& ctx, const Caller& caller, const std::string& body) {
  if (!ctx.platform.store || !ctx.async_jobs) return make_error(ErrorKind::Unavailable, "this server runs no async jobs");
  if (caller.key && caller.key->no_retention)
    return Error{"Async jobs keep the request and its answer in the store; this key was created with --no-retention",
                 ErrorKind::PermissionDenied};
  auto request = job_request(ctx, caller, body);
  if (!request) return request.error();
  // Each job keeps its request (up to the body limit) in the store until it ends: bounded per key.
  if (const int64_t cap = ctx.platform.max_async_jobs; cap > 0) {
    auto unfinished = ctx.platform.store->count_unfinished_jobs(owner_of(caller));
    if (!unfinished) return unfinished.error();
    if (*unfinished >= cap)
      return Error{fmt::format("This key has {} async jobs waiting or running, the most it may have; submit more "
                               "once some have finished",
                               *unfinished),
                   ErrorKind::ResourceExhausted};
  }
  auto id = platform::generate_job_id();
  if (!id) return id.error();
  platform::AsyncJob job;
  job.id = *id;
  job.key_id = owner_of(caller);
  job.model = (*request)["model"].get<std::string>();
  job.created_ms = platform::system_now_ms();
  job.request_json = request->dump();
  if (Status s = ctx.platform.store->insert_job(job); !s) return s.error();
  return job;
}

}  // namespace

asio::awaitable<void> async_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto job = store_job(ctx, caller, req.body);
  if (!job) {
    const std::string model = requested_model(req.body, "request");
    co_return co_await refuse_generation(ctx, caller, req, model, job.error(), writer);
  }
  ctx.async_jobs->notify();
  const ordered_json body = job_json(*job, true);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> async_list(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  if (!ctx.platform.store) co_return co_await send_error(writer, make_error(ErrorKind::Unavailable, "this server runs no async jobs"));
  int64_t offset = 0, limit = 20;
  for (auto [name, target, max] : {std::tuple{"next_token", &offset, INT64_MAX}, std::tuple{"limit", &limit, int64_t{100}}}) {
    auto text = req.query_param(name);
    if (!text) continue;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *target);
    if (ec != std::errc{} || end != text->data() + text->size() || *target < 0 || *target > max)
      co_return co_await send_error(writer, invalid_param(name, "'{}' is not valid here", *text));
  }
  auto jobs = ctx.platform.store->list_jobs(owner_of(caller), offset, limit + 1);
  if (!jobs) co_return co_await send_error(writer, jobs.error());
  ordered_json body = ordered_json::object();
  body["requests"] = ordered_json::array();
  for (size_t i = 0; i < jobs->size() && int64_t(i) < limit; ++i) body["requests"].push_back(job_json((*jobs)[i], false));
  body["next_token"] = int64_t(jobs->size()) > limit ? ordered_json(std::to_string(offset + limit)) : ordered_json(nullptr);
  co_await send_json(writer, 200, body);
}

asio::awaitable<void> async_get(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  if (!ctx.platform.store) co_return co_await send_error(writer, make_error(ErrorKind::Unavailable, "this server runs no async jobs"));
  auto job = ctx.platform.store->get_job(std::string(req.path_param("id")), owner_of(caller));
  if (!job) co_return co_await send_error(writer, job.error());
  const ordered_json body = job_json(*job, true);
  co_await send_json(writer, 200, body);
}

}  // namespace tachyon::endpoints
