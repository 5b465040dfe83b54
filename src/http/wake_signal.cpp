#include "http/wake_signal.h"

#include <boost/asio/experimental/concurrent_channel.hpp>
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

}  // namespace tachyon
