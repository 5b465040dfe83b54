#include "connection_pool.h"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tachyon/client/errors.h"

namespace tachyon::client::detail {

ConnectionPool::ConnectionPool(Strand strand, BaseUrl url, PoolLimits limits, asio::ssl::context* tls)
    : strand_(std::move(strand)), url_(std::move(url)), limits_(limits), tls_(tls) {
  limits_.max_connections = std::max<std::size_t>(1, limits_.max_connections);
}

void ConnectionPool::drop_expired(TimePoint now) {
  while (!idle_.empty() && now - idle_.front()->idle_since >= limits_.keepalive_expiry) {
    idle_.front()->close();
    idle_.pop_front();
    --open_;
  }
}

asio::awaitable<std::unique_ptr<HttpConnection>> ConnectionPool::acquire(TimePoint deadline,
                                                                          TimePoint connect_deadline) {
  for (;;) {
    drop_expired(Clock::now());
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->usable_when_idle()) {
        connection->reused = true;
        co_return connection;
      }
      connection->close();
      --open_;
    }
    if (open_ < limits_.max_connections) {
      ++open_;
      ++opened_total_;
      peak_open_ = std::max(peak_open_, open_);
      auto connection = std::make_unique<HttpConnection>(strand_, tls_);
      ErrorCode ec = co_await connection->connect(url_, std::min(deadline, connect_deadline));
      if (!ec) co_return connection;
      connection->close();
      --open_;
      wake_one();
      if (ec == beast::error::timeout) throw APITimeoutError("connecting to " + url_.host_header() + " timed out");
      throw APIConnectionError("connecting to " + url_.host_header() + ": " + ec.message());
    }
    auto waiter = std::make_shared<Waiter>(strand_);
    waiter->timer.expires_at(deadline);
    waiters_.push_back(waiter);
    ErrorCode ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!waiter->notified) {
      std::erase(waiters_, waiter);
      throw APITimeoutError("timed out waiting for a free connection (max_connections " +
                            std::to_string(limits_.max_connections) + ")");
    }
  }
}

void ConnectionPool::release(std::unique_ptr<HttpConnection> connection, bool reusable) {
  auto now = Clock::now();
  if (reusable && idle_.size() < limits_.max_keepalive_connections && limits_.keepalive_expiry > Duration(0)) {
    connection->idle_since = now;
    idle_.push_back(std::move(connection));
  } else {
    connection->close();
    --open_;
  }
  drop_expired(now);
  wake_one();
}

void ConnectionPool::wake_one() {
  while (!waiters_.empty()) {
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    if (!waiter->notified) {
      waiter->notified = true;
      waiter->timer.cancel();
      return;
    }
  }
}

void ConnectionPool::close_idle() {
  for (auto& connection : idle_) connection->close();
  open_ -= idle_.size();
  idle_.clear();
}

}  // namespace tachyon::client::detail
