#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "client_core.h"
#include "tachyon/client/client.h"

namespace tachyon::client {

AsyncClient::AsyncClient(ClientOptions options) : owned_io_(std::make_unique<boost::asio::io_context>(1)) {
  core_ = std::make_shared<detail::ClientCore>(owned_io_->get_executor(), std::move(options));
  io_thread_ = std::thread([io = owned_io_.get()] {
    auto work = boost::asio::make_work_guard(*io);
    io->run();
  });
}

AsyncClient::AsyncClient(boost::asio::any_io_executor executor, ClientOptions options)
    : core_(std::make_shared<detail::ClientCore>(std::move(executor), std::move(options))) {}

AsyncClient::~AsyncClient() {
  if (owned_io_) {
    // Close idle connections on the I/O thread, then stop it; what is still in flight is abandoned.
    std::promise<void> closed;
    boost::asio::post(core_->strand(), [&] {
      core_->pool().close_idle();
      closed.set_value();
    });
    closed.get_future().wait();
    owned_io_->stop();
    io_thread_.join();
    core_.reset();
    owned_io_.reset();
  }
}

void AsyncClient::attach(std::shared_ptr<PerformanceMonitor> monitor) { core_->set_monitor(std::move(monitor)); }
std::shared_ptr<PerformanceMonitor> AsyncClient::monitor() const { return core_->monitor(); }
const ClientOptions& AsyncClient::options() const { return core_->options(); }
boost::asio::any_io_executor AsyncClient::executor() const { return core_->strand().get_inner_executor(); }
std::size_t AsyncClient::open_connections() const { return core_->open_connections(); }
std::size_t AsyncClient::connections_opened() const { return core_->connections_opened(); }
std::size_t AsyncClient::peak_open_connections() const { return core_->peak_open_connections(); }

}  // namespace tachyon::client
