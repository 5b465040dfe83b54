#pragma once
// Admission and accounting of one generation request for its key: the rate-limit check before
// the request may queue for the engine, and the usage row committed before the response ends.
#include <optional>
#include <string>

#include "api/access_control.h"
#include "api/responses.h"
#include "platform/store.h"

namespace tachyon {

// The wait a refused request is told to honour: Retry-After in whole seconds (rounded up, at
// least 1) and retry-after-ms, which OpenAI-style SDKs prefer.
void set_retry_after(HttpHeaders& headers, int64_t retry_after_ms);

// The USD amounts a client is shown for a cost.
UsageCost usage_cost(const platform::CostMicros& cost);

// Queues `row` with the usage recorder and waits, without blocking the thread, until it is
// committed. Ok at once when the server keeps no usage. Call from a handler coroutine.
asio::awaitable<Status> commit_usage(ServerContext& ctx, platform::UsageRecord row);

}  // namespace tachyon
