// Runs one handler coroutine on its own io_context until it returns (rethrowing what it throws),
// then flushes the usage writer so its rows can be read back.
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
