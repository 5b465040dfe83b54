// The connections of one client to its one origin: reused while idle for less than
// keepalive_expiry, never more than max_connections open at once (callers wait for a slot).
#pragma once

#include <deque>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "http_connection.h"
#include "tachyon/client/options.h"

namespace tachyon::client::detail {

// Used on the client's strand only.
class ConnectionPool {
 public:
  ConnectionPool(Strand strand, BaseUrl url, PoolLimits limits, asio::ssl::context* tls);

  // An idle connection, or a new one when fewer than max_connections are open; otherwise waits
  // until one is released. Throws APITimeoutError at `deadline` (waiting or connecting) and
  // APIConnectionError when connecting fails.
  asio::awaitable<std::unique_ptr<HttpConnection>> acquire(TimePoint deadline, TimePoint connect_deadline);
  // Gives a connection back: kept idle when `reusable` and there is room, else closed.
  void release(std::unique_ptr<HttpConnection> connection, bool reusable);
  void close_idle();

  std::size_t open() const { return open_; }
  std::size_t opened_total() const { return opened_total_; }
  std::size_t peak_open() const { return peak_open_; }

 private:
  struct Waiter {
    explicit Waiter(const Strand& s) : timer(s) {}
    asio::steady_timer timer;
    bool notified = false;
  };
  void wake_one();
  void drop_expired(TimePoint now);

  Strand strand_;
  BaseUrl url_;
  PoolLimits limits_;
  asio::ssl::context* tls_;
  std::deque<std::unique_ptr<HttpConnection>> idle_;  // oldest first
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::size_t open_ = 0;
  std::size_t opened_total_ = 0;
  std::size_t peak_open_ = 0;  // most open at once
};

}  // namespace tachyon::client::detail
