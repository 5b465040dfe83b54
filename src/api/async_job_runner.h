#pragma once
// Runs Perplexity-style async chat completions: jobs stored by POST /async/chat/completions are
// claimed from the store one at a time, oldest first, and run through the same chat completion
// path as interactive requests (the key's model rights, rate limits and usage apply). One job at
// a time is how async work yields to interactive requests: it never holds more than one engine
// slot. Replicas sharing a store each run one: a claimed job is held under a lease the runner
// renews while the job runs, so a job runs at one replica at a time, and the job of a replica
// that died is claimed by another once its lease runs out. A job cut short by a shutdown is
// released, to run at once elsewhere or after the restart.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/server_context.h"
#include "http/router.h"
#include "platform/store.h"

namespace tachyon {

struct AsyncJobRunnerOptions {
  // Whether this server is its store's only user (a SQLite data directory): then jobs a killed
  // run left in progress are requeued at start rather than when their leases run out. False
  // for a store replicas share.
  bool sole_user = true;
  // How long a claim holds without renewal; renewed every third of it while the job runs.
  std::chrono::milliseconds lease{30'000};
};

class AsyncJobRunner {
 public:
  // Requeues interrupted jobs (sole user only) and starts the runner thread. `ctx` must outlive
  // the runner and have a store.
  explicit AsyncJobRunner(ServerContext& ctx, AsyncJobRunnerOptions options = {});
  // stop(), then joins the thread.
  ~AsyncJobRunner();
  AsyncJobRunner(const AsyncJobRunner&) = delete;
  AsyncJobRunner& operator=(const AsyncJobRunner&) = delete;

  // A job was stored: look for it now rather than at the next poll. Any thread.
  void notify();
  // Starts no further job; the running one ends with the engines (shut them down after this).
  // A job cut short by the shutdown is released: CREATED again. Any thread.
  void stop();

  // Who this runner claims jobs as (the lease holder): host name, process id and a random part.
  const std::string& holder() const { return holder_; }

 private:
  struct LeaseRenewal;
  asio::awaitable<void> loop();
  asio::awaitable<void> run_job(platform::AsyncJob job);
  // Renews the lease on `job_id` every third of the lease until `renewal` says the job ended.
  asio::awaitable<void> keep_lease(std::string job_id, std::shared_ptr<LeaseRenewal> renewal);

  ServerContext& ctx_;
  AsyncJobRunnerOptions options_;
  std::string holder_;
  asio::io_context io_;
  asio::steady_timer timer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace tachyon
