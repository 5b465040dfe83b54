#include "api/metering.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/generation_session.h"
#include "http/async_queue.h"
#include "platform/time_text.h"

namespace tachyon {

void set_retry_after(HttpHeaders& headers, int64_t retry_after_ms) {
  headers.set("Retry-After", std::to_string(std::max<int64_t>(1, (retry_after_ms + 999) / 1000)));
  headers.set("retry-after-ms", std::to_string(std::max<int64_t>(1, retry_after_ms)));
}

UsageCost usage_cost(const platform::CostMicros& cost) {
  return UsageCost{platform::micros_to_usd(cost.input), platform::micros_to_usd(cost.output),
                   platform::micros_to_usd(cost.request), platform::micros_to_usd(cost.total())};
}

asio::awaitable<Status> commit_usage(ServerContext& ctx, platform::UsageRecord row, UsageKind kind,
                                     const platform::UsageRecorder::FillRow& fill) {
  if (!ctx.platform.usage) co_return Status::success();
  auto committed = std::make_shared<AsyncQueue<Status>>(co_await asio::this_coro::executor);
  auto on_committed = [committed](Status s) { committed->push(std::move(s)); };
  if (kind == UsageKind::RateLimited) {
    ctx.platform.usage->record_rate_limited(std::move(row), on_committed, fill);
  } else {
    if (fill) fill(row);
    ctx.platform.usage->record(std::move(row), on_committed);
  }
  std::optional<Status> status = co_await committed->pop();
  co_return status ? *status : Status(make_error(ErrorKind::Internal, "usage recorder stopped"));
}

std::string requested_model(std::string_view body, std::string_view wrapper) {
  const nlohmann::json outer = nlohmann::json::parse(body, nullptr, false);
  const nlohmann::json* request = &outer;
  if (!wrapper.empty()) {
    if (!outer.is_object()) return {};
    auto inner = outer.find(wrapper);
    if (inner == outer.end()) return {};
    request = &*inner;
  }
  if (!request->is_object()) return {};
  auto model = request->find("model");
  if (model == request->end() || !model->is_string()) return {};
  return model->get<std::string>();
}

platform::UsageRecord refusal_usage_row(const Caller& caller, const HttpRequest& req, std::string model, int status) {
  platform::UsageRecord row;
  row.request_id = req.request_id;
  row.key_id = caller.key ? caller.key->id : "";
  row.model = std::move(model);
  row.endpoint = req.path;
  row.created_ms = platform::system_now_ms();
  row.status = status;
  return row;
}

asio::awaitable<void> commit_refusal(ServerContext& ctx, platform::UsageRecord row, UsageKind kind,
                                     const platform::UsageRecorder::FillRow& fill) {
  const std::string request_id = row.request_id;
  const Status recorded = co_await commit_usage(ctx, std::move(row), kind, fill);
  if (!recorded) fmt::print(stderr, "usage not recorded for {}: {}\n", request_id, recorded.error().message);
}

asio::awaitable<void> refuse_rate_limited(ServerContext& ctx, platform::UsageRecord row, const std::string& key_id,
                                          int64_t retry_after_ms, ResponseWriter& writer,
                                          const platform::UsageRecorder::FillRow& fill) {
  row.status = 429;
  co_await commit_refusal(ctx, std::move(row), UsageKind::RateLimited, fill);
  const Error e{fmt::format("Rate limit reached for key {}: retry in {:.1f} s", key_id, double(retry_after_ms) / 1000),
                ErrorKind::ResourceExhausted};
  HttpResponse response = HttpResponse::json(http_status(e), error_body(e));
  set_retry_after(response.headers, retry_after_ms);
  co_await writer.send(std::move(response));
}

asio::awaitable<void> refuse_generation(ServerContext& ctx, const Caller& caller, const HttpRequest& req,
                                        const std::string& model, const Error& error, ResponseWriter& writer) {
  platform::UsageRecord row = refusal_usage_row(caller, req, model, http_status(error));
  co_await commit_refusal(ctx, std::move(row));
  co_await send_error(writer, error);
}

}  // namespace tachyon
