#pragma once
// A request under its key's rate limits, as every metered endpoint runs it: admitted (its tokens
// reserved) before it may queue, refused with 429 over a limit, settled to its real use at the
// end. When the limiter's backend cannot be asked (Redis unreachable), the server's policy
// decides (`--redis-failure`): closed refuses the request with 503, open admits it unmetered;
// either way the failure is counted on /metrics (tachyon_rate_limit_backend_errors_total).
// Every function here may block its thread for one limiter round trip (short timeouts).
#include <cstdint>
#include <optional>

#include "api/access_control.h"
#include "api/server_context.h"
#include "http/response_writer.h"
#include "platform/store.h"

namespace tachyon {

// What the limits decided for one request.
struct RateDecision {
  enum class Outcome {
    Admitted,     // under the limits, or unmetered (no key, no limiter, backend down and failing open)
    Limited,      // over a limit: 429 after retry_after_ms
    Unavailable,  // the backend could not be asked and the server fails closed: 503
  };
  Outcome outcome = Outcome::Admitted;
  int64_t retry_after_ms = 0;  // Limited
  // Set when the limiter took the request: the tokens it reserved, which settle_under_limits
  // gives back. nullopt: the request is unmetered and nothing is settled.
  std::optional<int64_t> reserved_tokens;

  bool admitted() const { return outcome == Outcome::Admitted; }
};

// Admits `n_requests` (0 or 1) requests and `n_tokens` tokens of the caller's under its key's
// limits, and sets caller.rate to the buckets after the decision. Every metered request is
// admitted twice: admit_request when it arrives, before its body is read (so a key over its
// request limit costs no parsing, templating, search or tokenizing), then admit_tokens once its
// size is known.
RateDecision admit_under_limits(ServerContext& ctx, Caller& caller, int64_t n_requests, int64_t n_tokens);

// One request from the key's request bucket, no tokens.
inline RateDecision admit_request(ServerContext& ctx, Caller& caller) { return admit_under_limits(ctx, caller, 1, 0); }

// `n_tokens` (prompt plus the most it may generate) from the key's token bucket, no request.
inline RateDecision admit_tokens(ServerContext& ctx, Caller& caller, int64_t n_tokens) {
  return admit_under_limits(ctx, caller, 0, n_tokens);
}

// Settles an admission to the tokens the request really used; nothing for an unmetered one. A
// failure is counted, not returned: the response stands either way.
void settle_under_limits(ServerContext& ctx, const Caller& caller, const RateDecision& decision, int64_t used);

// Sets caller.rate to the key's buckets now, for the headers of the response; nothing for an
// unmetered admission. A failure is counted and leaves caller.rate as it was.
void refresh_rate_snapshot(ServerContext& ctx, Caller& caller, const RateDecision& decision);

// The key's buckets now, for headers when no admission set them; nullopt without a limiter or
// when its backend cannot be asked (counted).
std::optional<platform::RateSnapshot> current_rate_snapshot(ServerContext& ctx, const platform::AuthenticatedKey& key);

// The refusal of a request admit_under_limits did not admit: `row` is committed with the status
// sent, then 429 rate_limit_exceeded (Retry-After and retry-after-ms) or 503
// service_unavailable (Retry-After). `fill` completes the row when it is kept (refuse_rate_limited
// keeps only a key's first few a minute). Call from a handler coroutine.
asio::awaitable<void> refuse_unadmitted(ServerContext& ctx, platform::UsageRecord row, const Caller& caller,
                                        const RateDecision& decision, ResponseWriter& writer,
                                        const platform::UsageRecorder::FillRow& fill = {});

}  // namespace tachyon
