#include "api/rate_limit_admission.h"

#include <atomic>
#include <chrono>

#include <fmt/format.h>

#include "api/api_error.h"
#include "api/metering.h"

namespace tachyon {
namespace {

// Counts a failed limiter call and logs it, at most once every 10 s: an outage fails every
// request, and its extent is on /metrics.
void report_backend_error(ServerContext& ctx, const char* operation, const char* outcome, const Error& error) {
  ctx.metrics.count_rate_limit_backend_error(operation, outcome);
  static std::atomic<int64_t> next_log_ms{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t due = next_log_ms.load();
  if (now >= due && next_log_ms.compare_exchange_strong(due, now + 10'000))
    fmt::print(stderr, "rate limits: {} failed ({}): {}\n", operation, outcome, error.message);
}

}  // namespace

RateDecision admit_under_limits(ServerContext& ctx, Caller& caller, int64_t n_requests, int64_t n_tokens) {
  RateDecision decision;
  if (!caller.key || !ctx.platform.limiter) return decision;
  const platform::AuthenticatedKey& key = *caller.key;
  auto admission = ctx.platform.limiter->admit(key.id, key.limits, n_requests, n_tokens);
  if (!admission) {
    const bool open = ctx.platform.rate_limit_fail_open;
    report_backend_error(ctx, "admit", open ? "admitted_unmetered" : "refused", admission.error());
    if (!open) decision.outcome = RateDecision::Outcome::Unavailable;
    caller.rate = platform::RateSnapshot{};  // no headers: the buckets are unknown
    return decision;
  }
  caller.rate = admission->snapshot;
  if (!admission->admitted) {
    decision.outcome = RateDecision::Outcome::Limited;
    decision.retry_after_ms = admission->retry_after_ms;
    return decision;
  }
  decision.reserved_tokens = admission->reserved_tokens;
  return decision;
}

void settle_under_limits(ServerContext& ctx, const Caller& caller, const RateDecision& decision, int64_t used) {
  if (!decision.reserved_tokens || !caller.key || !ctx.platform.limiter) return;
  const platform::AuthenticatedKey& key = *caller.key;
  if (Status settled = ctx.platform.limiter->settle(key.id, key.limits, *decision.reserved_tokens, used); !settled)
    report_backend_error(ctx, "settle", "not_settled", settled.error());
}

std::optional<platform::RateSnapshot> current_rate_snapshot(ServerContext& ctx, const platform::AuthenticatedKey& key) {
  if (!ctx.platform.limiter) return std::nullopt;
  auto snapshot = ctx.platform.limiter->peek(key.id, key.limits);
  if (!snapshot) {
    report_backend_error(ctx, "peek", "no_headers", snapshot.error());
    return std::nullopt;
  }
  return std::move(*snapshot);
}

void refresh_rate_snapshot(ServerContext& ctx, Caller& caller, const RateDecision& decision) {
  if (!decision.reserved_tokens || !caller.key) return;
  if (auto snapshot = current_rate_snapshot(ctx, *caller.key)) caller.rate = std::move(*snapshot);
}

asio::awaitable<void> refuse_unadmitted(ServerContext& ctx, platform::UsageRecord row, const Caller& caller,
                                        const RateDecision& decision, ResponseWriter& writer,
                                        const platform::UsageRecorder::FillRow& fill) {
  const std::string key_id = caller.key ? caller.key->id : "";
  if (decision.outcome == RateDecision::Outcome::Unavailable) {
    // The backend's address stays in the server's log; the client learns what to do.
    const Error e{"The rate limits of this API key cannot be checked right now (the rate-limit store is unreachable); "
                  "retry shortly",
                  ErrorKind::Unavailable};
    row.status = http_status(e);
    co_await commit_refusal(ctx, std::move(row), UsageKind::Request, fill);
    HttpResponse response = HttpResponse::json(http_status(e), error_body(e));
    set_retry_after(response.headers, 1000);
    co_await writer.send(std::move(response));
    co_return;
  }
  co_await refuse_rate_limited(ctx, std::move(row), key_id, decision.retry_after_ms, writer, fill);
}

}  // namespace tachyon
