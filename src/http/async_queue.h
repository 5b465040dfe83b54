#pragma once
// AsyncQueue<T>: how events from a plain thread (the inference engine) reach a coroutine
// (a streaming HTTP response) without blocking either side.
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "http/wake_signal.h"

namespace tachyon {

// Unbounded multi-producer, single-consumer queue. push() and close() from any thread;
// pop() from one coroutine at a time. Create it with the consumer's executor
// (co_await asio::this_coro::executor); it must be destroyed before that executor's
// io_context, i.e. producers must drop their references before the server is destroyed.
template <typename T>
class AsyncQueue {
 public:
  explicit AsyncQueue(const asio::any_io_executor& executor) : wake_(executor) {}

  // Appends `value` and wakes the consumer. Returns false (dropping it) after close().
  bool push(T value) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      items_.push_back(std::move(value));
    }
    wake_.notify();
    return true;
  }

  // Ends the stream: pop() drains what is queued, then returns nullopt. Idempotent.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    wake_.notify();
  }

  // Next item, waiting without blocking the thread; nullopt once closed and drained.
  // Throws boost::system::system_error when the server force-closes the connection.
  asio::awaitable<std::optional<T>> pop() {
    Popped popped;
    while (!take(popped)) co_await wake_.wait();
    co_return std::move(popped.item);
  }

  // What pop_for() got: an item, the end of the stream (neither set), or nothing in time.
  struct Popped {
    std::optional<T> item;
    bool timed_out = false;
  };

  // Like pop(), but returns {nullopt, timed_out = true} when nothing arrived within `timeout`,
  // so the consumer can look at other things (such as whether its client is still there).
  asio::awaitable<Popped> pop_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Popped popped;
    for (;;) {
      // Each take() that succeeds ends the wait: a second one would drop what the first took.
      if (take(popped)) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() > 0 && co_await wake_.wait_for(left)) continue;
      // Out of time; an item that came with the deadline is still taken.
      popped.timed_out = !take(popped);
      break;
    }
    co_return popped;
  }

  // Non-waiting pop for draining; nullopt when nothing is queued right now.
  std::optional<T> try_pop() {
    Popped popped;
    take(popped);
    return std::move(popped.item);
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  // Moves the front item into `popped.item`; true when there was one or the stream has ended.
  bool take(Popped& popped) {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return closed_;
    popped.item = std::move(items_.front());
    items_.pop_front();
    return true;
  }

  mutable std::mutex mutex_;
  std::deque<T> items_;
  bool closed_ = false;
  WakeSignal wake_;
};

}  // namespace tachyon
