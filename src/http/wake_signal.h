#pragma once
// A wake-up flag one coroutine awaits and any thread may raise. The non-template core of
// AsyncQueue, kept out of line so Asio's channel machinery stays out of public headers.
#include <chrono>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace tachyon {

namespace asio = boost::asio;

// Raising it while nobody waits is remembered (once), so a wake-up between "check the
// data" and "start waiting" is never lost. Spurious wake-ups are possible; waiters re-check.
class WakeSignal {
 public:
  // Binds to `executor`'s execution context, which must outlive this object.
  explicit WakeSignal(const asio::any_io_executor& executor);
  ~WakeSignal();
  WakeSignal(const WakeSignal&) = delete;
  WakeSignal& operator=(const WakeSignal&) = delete;

  // Wakes the waiter, or the next one if none waits. Any thread; never blocks.
  void notify();
  // Suspends until notified. One waiter at a time. Throws boost::system::system_error
  // (operation_aborted) when the awaiting coroutine is cancelled, e.g. at forced shutdown.
  asio::awaitable<void> wait();
  // Like wait(), but gives up after `timeout`: true when notified, false when the time ran out.
  asio::awaitable<bool> wait_for(std::chrono::milliseconds timeout);

 private:
  struct Channel;
  std::unique_ptr<Channel> channel_;
};

}  // namespace tachyon
