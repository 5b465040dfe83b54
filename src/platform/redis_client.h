#pragma once
// A blocking Redis client over hiredis for short commands from many threads: a small pool of
// connections (a hiredis context serves one thread at a time), short connect and command
// timeouts, and reconnection on the next command once the server is back. An unreachable server
// is an Error of kind Unavailable; an error reply from a reachable one is a reply.
// The process must ignore SIGPIPE (`tachyon serve` does): a write to a connection the server
// closed would otherwise end it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

struct redisContext;  // hiredis, kept out of this header

namespace tachyon::platform {

// Where a Redis server is, from redis://[[USER]:PASSWORD@]HOST[:PORT][/DB].
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
};

// Parses a redis:// URL (HOST may be an IPv6 address in brackets); InvalidArgument naming what
// is wrong otherwise.
Result<RedisAddress> parse_redis_url(std::string_view url);

// "HOST:PORT/DB", without credentials: for messages and logs.
std::string describe(const RedisAddress& address);

// One reply. Status replies ("OK") are Strings; error replies ("NOSCRIPT ...") are Errors.
struct RedisReply {
  enum class Kind { Nil, Integer, String, Array, Error };
  Kind kind = Kind::Nil;
  int64_t integer = 0;
  std::string text;                  // String and Error
  std::vector<RedisReply> elements;  // Array
};

struct RedisClientOptions {
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  // After a connection attempt fails, commands fail at once for this long instead of each
  // waiting out a connect timeout.
  std::chrono::milliseconds reconnect_backoff{250};
  size_t max_idle_connections = 4;
};

// Thread-safe: command() may be called from any number of threads at once, each on its own
// connection.
class RedisClient {
 public:
  RedisClient(RedisAddress address, RedisClientOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (`argv`: the command name and its arguments) and waits for its reply.
  // Unavailable when no connection could be made, or it broke or timed out. A pooled connection
  // found broken (the server restarted) is replaced once before giving up.
  Result<RedisReply> command(const std::vector<std::string>& argv);

  const RedisAddress& address() const { return address_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using Connection = std::unique_ptr<redisContext, ContextDeleter>;

  Result<Connection> connect();
  Error unavailable(std::string_view what) const;

  RedisAddress address_;
  RedisClientOptions options_;
  std::mutex mutex_;  // guards idle_ and retry_at_
  std::vector<Connection> idle_;
  std::chrono::steady_clock::time_point retry_at_{};  // no connection attempts before this
};

}  // namespace tachyon::platform
