#include "http/wake_signal.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tachyon {

// A one-slot buffered channel: a full slot already means "wake up", so extra sends drop.
struct WakeSignal::Channel {
  explicit Channel(const asio::any_io_executor& executor) : channel(executor, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> channel;
};

WakeSignal::WakeSignal(const asio::any_io_executor& executor)
    : channel_(std::make_unique<Channel>(executor)) {}

WakeSignal::~WakeSignal() = default;

void WakeSignal::notify() { channel_->channel.try_send(boost::system::error_code{}); }

asio::awaitable<void> WakeSignal::wait() {
  co_await channel_->channel.async_receive(asio::use_awaitable);
}

asio::awaitable<bool> WakeSignal::wait_for(std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  // Whichever finishes first cancels the other; a cancelled receive takes no message.
  auto first = co_await (channel_->channel.async_receive(asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
  co_return first.index() == 0;
}

}  // namespace tachyon
