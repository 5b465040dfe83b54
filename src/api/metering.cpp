#include "api/metering.h"

#include "http/async_queue.h"

namespace tachyon {

void set_retry_after(HttpHeaders& headers, int64_t retry_after_ms) {
  headers.set("Retry-After", std::to_string(std::max<int64_t>(1, (retry_after_ms + 999) / 1000)));
  headers.set("retry-after-ms", std::to_string(std::max<int64_t>(1, retry_after_ms)));
}

UsageCost usage_cost(const platform::CostMicros& cost) {
  return UsageCost{platform::micros_to_usd(cost.input), platform::micros_to_usd(cost.output),
                   platform::micros_to_usd(cost.request), platform::micros_to_usd(cost.total())};
}

asio::awaitable<Status> commit_usage(ServerContext& ctx, platform::UsageRecord row) {
  if (!ctx.platform.usage) co_return Status::success();
  auto committed = std::make_shared<AsyncQueue<Status>>(co_await asio::this_coro::executor);
  ctx.platform.usage->record(std::move(row), [committed](Status s) { committed->push(std::move(s)); });
  std::optional<Status> status = co_await committed->pop();
  co_return status ? *status : Status(make_error(ErrorKind::Internal, "usage recorder stopped"));
}

}  // namespace tachyon
