#pragma once
// Runs Perplexity-style async chat completions: jobs stored by POST /async/chat/completions are
// claimed from the store one at a time, oldest first, and run through the same chat completion
// path as interactive requests (the key's model rights, rate limits and usage apply). One job at
// a time is how async work yields to interactive requests: it never holds more than one engine
// slot. Jobs left in progress by a stopped server run again after the restart.
#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/server_context.h"
#include "http/router.h"
#include "platform/store.h"

namespace tachyon {

class AsyncJobRunner {
 public:
  // Requeues interrupted jobs and starts the runner thread. `ctx` must outlive the runner and
  // have a store.
  explicit AsyncJobRunner(ServerContext& ctx);
  // stop(), then joins the thread.
  ~AsyncJobRunner();
  AsyncJobRunner(const AsyncJobRunner&) = delete;
  AsyncJobRunner& operator=(const AsyncJobRunner&) = delete;

  // A job was stored: look for it now rather than at the next poll. Any thread.
  void notify();
  // Starts no further job; the running one ends with the engines (shut them down after this).
  // A job cut short by the shutdown stays in progress and runs again after a restart. Any thread.
  void stop();

 private:
  asio::awaitable<void> loop();
  asio::awaitable<void> run_job(platform::AsyncJob job);

  ServerContext& ctx_;
  asio::io_context io_;
  asio::steady_timer timer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tachyon
