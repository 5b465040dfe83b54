#include "platform/redis_rate_limiter.h"

namespace tachyon::platform {
namespace {

// The buckets of one key in the hash KEYS[1]: rc and tc are the request and token limits the
// buckets were last seen with, rl and tl their levels, at the time of that update (ms). Levels
// are kept in 1/60000ths of a unit, so a bucket refills by exactly its limit per millisecond and
// every step is integer arithmetic, exact in Lua's doubles and in the hash's text.
// ARGV: op (admit | settle | peek), requests per minute, tokens per minute, amount (admit: the
// tokens to reserve; settle: reserved - used), now in ms (negative: Redis's clock), and the
// requests to take (admit: 0 or 1).
// Returns {admitted, retry_after_ms, reserved, request limit, remaining, reset_ms, token limit,
// remaining, reset_ms}; a limit of 0 is an unlimited dimension.
constexpr const char* kBucketScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local SCALE = 60000
local op = ARGV[1]
local rpm = math.max(0, tonumber(ARGV[2]))
local tpm = math.max(0, tonumber(ARGV[3]))
local amount = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local requests = math.min(1, math.max(0, tonumber(ARGV[6]) or 1))
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local saved = redis.call('HMGET', KEYS[1], 'rc', 'rl', 'tc', 'tl', 'at')
local existed = saved[1] ~= false
local at = tonumber(saved[5]) or now

-- A new limit starts full; a changed one keeps what was used of it; otherwise time refills it.
local function refill(old_cap, level, cap)
  old_cap = tonumber(old_cap) or 0
  level = tonumber(level) or 0
  local full = cap * SCALE
  if old_cap ~= cap then
    if old_cap == 0 then level = full else level = level + (cap - old_cap) * SCALE end
  elseif cap > 0 and now > at then
    if (now - at) * cap >= full - level then level = full else level = level + (now - at) * cap end
  end
  return math.min(level, full)
end

local function ms_until(cap, level, units)
  if cap == 0 or level >= units * SCALE then return 0 end
  return math.ceil((units * SCALE - level) / cap)
end

local rl = refill(saved[1], saved[2], rpm)
local tl = refill(saved[3], saved[4], tpm)
local admitted, retry, reserved = 0, 0, 0
if op == 'admit' then
  if tpm > 0 then reserved = math.min(math.max(0, amount), tpm) end
  retry = math.max(ms_until(rpm, rl, requests), ms_until(tpm, tl, reserved))
  if retry == 0 then
    admitted = 1
    if rpm > 0 then rl = rl - requests * SCALE end
    tl = tl - reserved * SCALE
  else
    reserved = 0
  end
elseif op == 'settle' then
  if tpm > 0 then tl = math.min(tpm * SCALE, tl + amount * SCALE) end
end

if op ~= 'peek' or existed then
  redis.call('HSET', KEYS[1], 'rc', rpm, 'tc', tpm, 'rl', string.format('%.0f', rl),
             'tl', string.format('%.0f', tl), 'at', string.format('%.0f', now))
  -- Once both buckets are full again the hash says nothing a missing one would not.
  local idle = math.max(ms_until(rpm, rl, rpm), ms_until(tpm, tl, tpm))
  redis.call('PEXPIRE', KEYS[1], idle + SCALE)
end

local function state(cap, level)
  if cap == 0 then return {0, 0, 0} end
  return {cap, math.max(0, math.floor(level / SCALE)), ms_until(cap, level, cap)}
end
local r, t = state(rpm, rl), state(tpm, tl)
return {admitted, retry, reserved, r[1], r[2], r[3], t[1], t[2], t[3]}
)lua";

Error script_failed(const std::string& why) {
  return make_error(ErrorKind::Unavailable, "the rate-limit script failed in Redis: {}", why);
}

std::optional<LimitState> limit_state(const RedisReply& reply, size_t first) {
  const int64_t limit = reply.elements[first].integer;
  if (limit == 0) return std::nullopt;
  return LimitState{limit, reply.elements[first + 1].integer, reply.elements[first + 2].integer};
}

bool unlimited(const RateLimits& limits) { return limits.requests_per_minute <= 0 && limits.tokens_per_minute <= 0; }

}  // namespace

RedisRateLimiter::RedisRateLimiter(std::unique_ptr<RedisClient> client, RedisRateLimiterOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

Result<std::string> RedisRateLimiter::script_sha() {
  {
    std::lock_guard lock(sha_mutex_);
    if (!sha_.empty()) return sha_;
  }
  const std::vector<std::string> load{"SCRIPT", "LOAD", kBucketScript};
  auto reply = client_->command(load);
  if (!reply) return reply.error();
  if (reply->kind != RedisReply::Kind::String) return script_failed(reply->text);
  std::lock_guard lock(sha_mutex_);
  sha_ = reply->text;
  return sha_;
}

Result<Admission> RedisRateLimiter::run(const std::string& key_id, const char* op, const RateLimits& limits,
                                        int64_t amount, int64_t n_requests) {
  auto sha = script_sha();
  if (!sha) return sha.error();
  const int64_t now = options_.now_ms ? options_.now_ms() : -1;
  std::vector<std::string> argv{"EVALSHA",
                                *sha,
                                "1",
                                options_.key_prefix + key_id,
                                op,
                                std::to_string(limits.requests_per_minute),
                                std::to_string(limits.tokens_per_minute),
                                std::to_string(amount),
                                std::to_string(now),
                                std::to_string(n_requests)};
  auto reply = client_->command(argv);
  if (!reply) return reply.error();
  if (reply->kind == RedisReply::Kind::Error && reply->text.rfind("NOSCRIPT", 0) == 0) {
    // The server lost its script cache (a restart, SCRIPT FLUSH): EVAL runs and caches it again.
    argv[0] = "EVAL";
    argv[1] = kBucketScript;
    reply = client_->command(argv);
    if (!reply) return reply.error();
  }
  if (reply->kind == RedisReply::Kind::Error) return script_failed(reply->text);
  if (reply->kind != RedisReply::Kind::Array || reply->elements.size() != 9)
    return script_failed("an unexpected reply");
  Admission a;
  a.admitted = reply->elements[0].integer == 1;
  a.retry_after_ms = reply->elements[1].integer;
  a.reserved_tokens = reply->elements[2].integer;
  a.snapshot = {limit_state(*reply, 3), limit_state(*reply, 6)};
  return a;
}

Result<Admission> RedisRateLimiter::admit(const std::string& key_id, const RateLimits& limits, int64_t n_requests,
                                          int64_t n_tokens) {
  if (unlimited(limits)) return Admission{true, 0, 0, {}};
  return run(key_id, "admit", limits, n_tokens, n_requests);
}

Status RedisRateLimiter::settle(const std::string& key_id, const RateLimits& limits, int64_t reserved, int64_t used) {
  if (limits.tokens_per_minute <= 0) return Status::success();  // settling moves tokens only
  auto done = run(key_id, "settle", limits, reserved - used);
  if (!done) return done.error();
  return Status::success();
}

Result<RateSnapshot> RedisRateLimiter::peek(const std::string& key_id, const RateLimits& limits) {
  if (unlimited(limits)) return RateSnapshot{};
  auto state = run(key_id, "peek", limits, 0);
  if (!state) return state.error();
  return state->snapshot;
}

Status RedisRateLimiter::check_backend() {
  const std::vector<std::string> ping{"PING"};
  auto reply = client_->command(ping);
  if (!reply) return reply.error();
  if (reply->kind == RedisReply::Kind::Error) return make_error(ErrorKind::Unavailable, "Redis: {}", reply->text);
  return Status::success();
}

}  // namespace tachyon::platform
