// tachyon-client: a C++ client for OpenAI-compatible APIs (tachyon, OpenAI, Perplexity).
//
//   tachyon::client::Client client;                       // TACHYON_API_KEY, TACHYON_BASE_URL
//   auto answer = client.chat().completions().create({.model = "tachyon-mini",
//                                                     .messages = {{"user", "Hello"}}});
//
// AsyncClient is the same API as awaitables (`co_await client.chat().completions().create(req)`)
// and futures; Client blocks. Both send every request through one path: a pool of keep-alive
// connections, retries with backoff on connection errors, timeouts, 408/409/429/5xx, and the
// typed errors of errors.h.
#pragma once

#include <future>
#include <memory>
#include <ranges>
#include <stop_token>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "tachyon/client/errors.h"
#include "tachyon/client/options.h"
#include "tachyon/client/performance_monitor.h"
#include "tachyon/client/raw_response.h"
#include "tachyon/client/resources.h"
#include "tachyon/client/retry.h"
#include "tachyon/client/stream.h"
#include "tachyon/client/types.h"

namespace tachyon::client {

// How batch() paces its work.
struct BatchOptions {
  std::size_t concurrency = 8;       // requests in flight at most (inputs read ahead: none)
  double requests_per_second = 0;    // starts spaced 1/rate apart; 0: as fast as `concurrency` allows
  // A request still refused with 429 after the client's own retries pauses the whole batch for the
  // server's Retry-After and is sent again, up to this many times; it then ends as a RateLimitError.
  int rate_limit_resends = 1000;
  std::stop_token stop;              // once requested, no further input is read
};

// One input's outcome, delivered when it finishes (not in input order).
template <class T>
struct BatchResult {
  std::size_t index = 0;             // the input's position in the range
  std::optional<T> value;
  std::exception_ptr error;
  bool ok() const { return value.has_value(); }
  const T& get() const {
    if (error) std::rethrow_exception(error);
    return *value;
  }
};

struct BatchSummary {
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t rate_limit_resends = 0;
};

// The asynchronous client. All of its I/O runs on one strand of its executor; its methods may be
// called from any thread. It must outlive the operations it started.
class AsyncClient {
 public:
  // Runs its own I/O thread.
  explicit AsyncClient(ClientOptions options = {});
  // Runs on `executor` (the caller runs the io_context). Futures need that context running elsewhere.
  AsyncClient(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  AsyncChat chat() const { return AsyncChat(core_); }
  AsyncCompletions completions() const { return AsyncCompletions(core_); }
  AsyncModels models() const { return AsyncModels(core_); }
  AsyncSearch search() const { return AsyncSearch(core_); }
  AsyncAsyncResource async() const { return AsyncAsyncResource(core_); }
  AsyncResponses responses() const { return AsyncResponses(core_); }
  AsyncEmbeddings embeddings() const { return AsyncEmbeddings(core_); }

  // Records every later request in `monitor` (null detaches). Any thread.
  void attach(std::shared_ptr<PerformanceMonitor> monitor);
  std::shared_ptr<PerformanceMonitor> monitor() const;
  const ClientOptions& options() const;
  // The executor the client's I/O runs on.
  boost::asio::any_io_executor executor() const;
  // TCP connections open now (idle or busy); connections opened since the client was made (a
  // connection closed beyond max_keepalive_connections is replaced by a new one); the most open
  // at once, never above max_connections.
  std::size_t open_connections() const;
  std::size_t connections_opened() const;
  std::size_t peak_open_connections() const;

  // Sends every input of `inputs` (ChatCompletionRequest, CompletionRequest, SearchRequest,
  // EmbeddingRequest or ResponseCreateRequest), reading the range lazily, at most
  // `options.concurrency` at a time, and calls `on_result(BatchResult<T>)` (which may return an
  // awaitable, to apply backpressure) as each finishes. Memory: `concurrency` inputs and results.
  template <std::ranges::input_range Range, class OnResult>
  boost::asio::awaitable<BatchSummary> batch(Range&& inputs, BatchOptions options, OnResult on_result);

  detail::CorePtr core() const { return core_; }

 private:
  std::unique_ptr<boost::asio::io_context> owned_io_;
  std::thread io_thread_;
  detail::CorePtr core_;
};

template <class T, class View>
class BatchResults;

// The blocking client: the same resources, each call returning when its answer has arrived.
// Thread-safe; runs one I/O thread of its own.
class Client {
 public:
  explicit Client(ClientOptions options = {}) : async_(std::move(options)) {}

  Chat chat() const { return Chat(async_.core()); }
  Completions completions() const { return Completions(async_.core()); }
  Models models() const { return Models(async_.core()); }
  Search search() const { return Search(async_.core()); }
  AsyncJobs async() const { return AsyncJobs(async_.core()); }
  Responses responses() const { return Responses(async_.core()); }
  Embeddings embeddings() const { return Embeddings(async_.core()); }

  void attach(std::shared_ptr<PerformanceMonitor> monitor) { async_.attach(std::move(monitor)); }
  std::shared_ptr<PerformanceMonitor> monitor() const { return async_.monitor(); }
  const ClientOptions& options() const { return async_.options(); }
  std::size_t open_connections() const { return async_.open_connections(); }
  std::size_t connections_opened() const { return async_.connections_opened(); }
  std::size_t peak_open_connections() const { return async_.peak_open_connections(); }

  // batch() as an input range of BatchResult<T>, delivered as they finish:
  //   for (auto& result : client.batch(requests, {.concurrency = 5, .requests_per_second = 1})) ...
  // At most `concurrency` results wait for the loop; leaving it early stops reading inputs.
  template <std::ranges::input_range Range>
  auto batch(Range&& inputs, BatchOptions options = {});

  // The asynchronous client underneath (its own I/O thread).
  AsyncClient& async_client() { return async_; }

 private:
  AsyncClient async_;
};

}  // namespace tachyon::client

#include "tachyon/client/batch.h"
