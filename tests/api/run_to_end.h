// Runs one handler coroutine on this thread until it returns, rethrowing what it throws. A usage
// commit waits on the recorder's thread meanwhile; the recorder's callbacks hold queues bound to
// the io_context, so they are flushed before it is destroyed.
#pragma once

#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "platform/usage_recorder.h"

namespace tachyon::testing {

inline void run_to_end(boost::asio::awaitable<void> handler, platform::UsageRecorder* usage = nullptr) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  boost::asio::co_spawn(io, std::move(handler), [&](std::exception_ptr e) {
    work.reset();
    if (e) std::rethrow_exception(e);
  });
  io.run();
  if (usage) usage->flush();
}

}  // namespace tachyon::testing
