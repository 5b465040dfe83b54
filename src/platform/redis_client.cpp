#include "platform/redis_client.h"

#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <hiredis/hiredis.h>

namespace tachyon::platform {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{time_t(ms.count() / 1000), suseconds_t((ms.count() % 1000) * 1000)};
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// %XX escapes in the user and password of a URL.
Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size() ||
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr != text.data() + i + 3)
      return make_error("bad %-escape in the Redis URL's credentials");
    out += char(value);
    i += 2;
  }
  return out;
}

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::Integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::String;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::Error;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::Array;
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:
      break;
  }
  return out;
}

// A command's reply, or nullptr with c->err set when the connection failed.
std::unique_ptr<redisReply, void (*)(void*)> send(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> parts;
  std::vector<size_t> lengths;
  for (const auto& a : argv) {
    parts.push_back(a.data());
    lengths.push_back(a.size());
  }
  void* reply = redisCommandArgv(c, int(parts.size()), parts.data(), lengths.data());
  return {static_cast<redisReply*>(reply), freeReplyObject};
}

// A read that ran past the command timeout: the server is there but not answering, so trying
// again on a new connection would only wait as long again.
bool timed_out(const redisContext* c) {
  return c->err == REDIS_ERR_IO && std::strcmp(c->errstr, std::strerror(EAGAIN)) == 0;
}

// The URL as a message may show it: any credentials (what precedes '@' in the authority)
// become ***, whatever the scheme, or with none.
std::string shown_url(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const size_t at = url.substr(0, url.find('/', start)).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return fmt::format("{}***{}", url.substr(0, start), url.substr(at));
}

}  // namespace

Result<RedisAddress> parse_redis_url(std::string_view url_as_given) {
  constexpr std::string_view kScheme = "redis://";
  const std::string url = shown_url(url_as_given);  // for messages only
  if (url_as_given.substr(0, kScheme.size()) != kScheme)
    return make_error("the Redis URL must look like redis://HOST:PORT/DB, not '{}'", url);
  std::string_view rest = url_as_given.substr(kScheme.size());
  RedisAddress a;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return user.error();
    a.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return password.error();
      a.password = std::move(*password);
    } else {
      // redis://PASSWORD@HOST: a lone userinfo is the password, as redis-cli reads it.
      a.password = std::move(a.user);
      a.user.clear();
    }
  }
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto n = parse_int(db);
      if (!n || *n < 0) return make_error("the Redis URL's database must be a number, not '{}'", db);
      a.db = *n;
    }
  }
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return make_error("the Redis URL '{}' has an unclosed '['", url);
    a.host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':') return make_error("the Redis URL '{}' has junk after ']'", url);
    if (!after.empty()) port = after.substr(1);
  } else {
    const size_t colon = hostport.find(':');
    a.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (a.host.empty()) return make_error("the Redis URL '{}' names no host", url);
  if (!port.empty()) {
    const auto n = parse_int(port);
    if (!n || *n < 1 || *n > 65535) return make_error("the Redis URL's port must be 1-65535, not '{}'", port);
    a.port = *n;
  }
  return a;
}

std::string describe(const RedisAddress& a) {
  const bool v6 = a.host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}/{}", v6 ? "[" : "", a.host, v6 ? "]" : "", a.port, a.db);
}

void RedisClient::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }

RedisClient::RedisClient(RedisAddress address, RedisClientOptions options)
    : address_(std::move(address)), options_(options) {}

RedisClient::~RedisClient() = default;

Error RedisClient::unavailable(std::string_view what) const {
  return make_error(ErrorKind::Unavailable, "Redis at {}: {}", describe(address_), what);
}

Result<RedisClient::Connection> RedisClient::connect() {
  {
    std::lock_guard lock(mutex_);
    if (std::chrono::steady_clock::now() < retry_at_) return unavailable("not reachable (waiting before reconnecting)");
  }
  auto failed = [this](std::string_view what) {
    std::lock_guard lock(mutex_);
    retry_at_ = std::chrono::steady_clock::now() + options_.reconnect_backoff;
    return unavailable(what);
  };
  Connection c(redisConnectWithTimeout(address_.host.c_str(), address_.port, to_timeval(options_.connect_timeout)));
  if (!c) return failed("cannot allocate a connection");
  if (c->err) return failed(c->errstr);
  redisSetTimeout(c.get(), to_timeval(options_.command_timeout));
  redisEnableKeepAlive(c.get());
  std::vector<std::vector<std::string>> setup;
  if (!address_.password.empty() && address_.user.empty()) setup.push_back({"AUTH", address_.password});
  if (!address_.password.empty() && !address_.user.empty()) setup.push_back({"AUTH", address_.user, address_.password});
  if (address_.db != 0) setup.push_back({"SELECT", std::to_string(address_.db)});
  for (const auto& argv : setup) {
    auto reply = send(c.get(), argv);
    if (!reply) return failed(c->errstr);
    if (reply->type == REDIS_REPLY_ERROR) return failed(fmt::format("{} refused: {}", argv[0], reply->str));
  }
  return c;
}

Result<RedisReply> RedisClient::command(const std::vector<std::string>& argv) {
  for (int attempt = 0;; ++attempt) {
    Connection c;
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const bool pooled = c != nullptr;
    if (!c) {
      auto made = connect();
      if (!made) return made.error();
      c = std::move(*made);
    }
    auto reply = send(c.get(), argv);
    if (reply) {
      RedisReply out = convert(*reply);
      std::lock_guard lock(mutex_);
      if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
      return out;
    }
    const std::string why = c->errstr;
    const bool stale = pooled && attempt == 0 && !timed_out(c.get());
    std::lock_guard lock(mutex_);
    // The other idle connections were made to the same server: after a restart they are all
    // broken, after a timeout all suspect.
    idle_.clear();
    if (stale) continue;
    retry_at_ = std::chrono::steady_clock::now() + options_.reconnect_backoff;
    return unavailable(why);
  }
}

}  // namespace tachyon::platform
