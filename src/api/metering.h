#pragma once
// Admission and accounting of one generation request for its key: the rate-limit check before
// the request may queue for the engine, and the usage row committed before the response ends,
// for answers and refusals alike.
#include <optional>
#include <string>
#include <string_view>

#include "api/access_control.h"
#include "api/responses.h"
#include "platform/store.h"
#include "platform/usage_recorder.h"

namespace tachyon {

// The wait a refused request is told to honour: Retry-After in whole seconds (rounded up, at
// least 1) and retry-after-ms, which OpenAI-style SDKs prefer.
void set_retry_after(HttpHeaders& headers, int64_t retry_after_ms);

// The USD amounts a client is shown for a cost.
UsageCost usage_cost(const platform::CostMicros& cost);

// What a usage row records: a request answered or refused (every one has its row), or a
// refusal over the key's rate limits, which has a row only while the key's refusals this minute
// are few and is otherwise counted (UsageRecorder::record_rate_limited).
enum class UsageKind { Request, RateLimited };

// Queues `row` with the usage recorder and waits, without blocking the thread, until it is
// committed. Ok at once when the server keeps no usage. Call from a handler coroutine.
// `fill` completes the row when it is kept (for a RateLimited one, only then).
asio::awaitable<Status> commit_usage(ServerContext& ctx, platform::UsageRecord row,
                                     UsageKind kind = UsageKind::Request,
                                     const platform::UsageRecorder::FillRow& fill = {});

// The model a generation request's body names, for the usage row of a request refused before
// it was parsed: the string at "model", or at "<wrapper>.model" (the inner request of an async
// submission); "" when the body is not JSON or names none.
std::string requested_model(std::string_view body, std::string_view wrapper = {});

// The usage row of a generation request refused before it could generate: the caller's key (""
// when serving open), `model` as the request named it, the request's path and X-Request-ID, the
// status it is sent; no tokens and no cost; created now, with queue, TTFT and total times 0.
platform::UsageRecord refusal_usage_row(const Caller& caller, const HttpRequest& req, std::string model, int status);

// Commits the usage row of a refusal. A failed commit is logged, not sent: the refusal goes out
// either way, since it delivered nothing that could go unbilled. Call before the refusal's bytes
// are written. Call from a handler coroutine.
asio::awaitable<void> commit_refusal(ServerContext& ctx, platform::UsageRecord row,
                                     UsageKind kind = UsageKind::Request,
                                     const platform::UsageRecorder::FillRow& fill = {});

// A 429 for a key over its rate limits: its refusal row (status 429) is committed, or counted
// when the key has had many this minute (UsageKind::RateLimited), then the error is sent with
// Retry-After and retry-after-ms. `fill` completes the row only when it is kept.
asio::awaitable<void> refuse_rate_limited(ServerContext& ctx, platform::UsageRecord row, const std::string& key_id,
                                          int64_t retry_after_ms, ResponseWriter& writer,
                                          const platform::UsageRecorder::FillRow& fill = {});

// A generation endpoint's refusal: commits refusal_usage_row(caller, req, model, status of
// `error`), then sends `error` (send_error). Call from a handler coroutine.
asio::awaitable<void> refuse_generation(ServerContext& ctx, const Caller& caller, const HttpRequest& req,
                                        const std::string& model, const Error& error, ResponseWriter& writer);

}  // namespace tachyon
