// batch(): many requests with bounded concurrency, pacing and rate-limit pauses; included by client.h.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tachyon::client {

namespace detail {

// The call batch() makes for each kind of input.
inline boost::asio::awaitable<ChatCompletion> submit(AsyncClient& c, const ChatCompletionRequest& r) {
  return c.chat().completions().create(r);
}
inline boost::asio::awaitable<Completion> submit(AsyncClient& c, const CompletionRequest& r) {
  return c.completions().create(r);
}
inline boost::asio::awaitable<SearchResponse> submit(AsyncClient& c, const SearchRequest& r) {
  return c.search().create(r);
}
inline boost::asio::awaitable<EmbeddingResponse> submit(AsyncClient& c, const EmbeddingRequest& r) {
  return c.embeddings().create(r);
}
inline boost::asio::awaitable<Response> submit(AsyncClient& c, const ResponseCreateRequest& r) {
  return c.responses().create(r);
}

template <class Input>
using SubmitResult = typename decltype(submit(std::declval<AsyncClient&>(), std::declval<const Input&>()))::value_type;

template <class T>
struct IsAwaitable : std::false_type {};
template <class T, class E>
struct IsAwaitable<boost::asio::awaitable<T, E>> : std::true_type {};

// Start times of a batch's requests: spaced by 1/rate, and held back while the server says wait.
// Used on the batch's strand only.
class BatchPacer {
 public:
  explicit BatchPacer(double requests_per_second)
      : interval_(requests_per_second > 0
                      ? std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / requests_per_second))
                      : Duration(0)),
        next_start_(std::chrono::steady_clock::now()) {}

  boost::asio::awaitable<void> wait_turn() {
    auto now = std::chrono::steady_clock::now();
    auto start = std::max(now, next_start_);
    next_start_ = start + interval_;
    if (start > now) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, start);
      boost::system::error_code ec;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }
  void pause_for(Duration wait) { next_start_ = std::max(next_start_, std::chrono::steady_clock::now() + wait); }

 private:
  Duration interval_;
  std::chrono::steady_clock::time_point next_start_;
};

// The batch itself, on one strand: `concurrency` workers share the input iterator.
template <class Range, class OnResult>
boost::asio::awaitable<BatchSummary> run_batch(AsyncClient& client, Range& inputs, BatchOptions options,
                                               OnResult& on_result) {
  namespace asio = boost::asio;
  using Input = std::ranges::range_value_t<Range>;
  using Output = SubmitResult<Input>;
  auto it = std::ranges::begin(inputs);
  auto end = std::ranges::end(inputs);
  BatchPacer pacer(options.requests_per_second);
  BatchSummary summary;
  std::size_t next_index = 0;
  std::size_t active = 0;
  std::exception_ptr callback_error;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_done(executor, std::chrono::steady_clock::time_point::max());

  auto worker = [&]() -> asio::awaitable<void> {
    while (!(it == end) && !options.stop.stop_requested()) {
      Input input = *it;
      ++it;
      BatchResult<Output> result;
      result.index = next_index++;
      for (int resends = 0;; ++resends) {
        co_await pacer.wait_turn();
        std::optional<Duration> rate_limited;
        try {
          // Separate statements, for the same GCC 12 reason as in BatchResults.
          auto call = submit(client, input);
          Output value = co_await std::move(call);
          result.value.emplace(std::move(value));
          break;
        } catch (const RateLimitError& e) {
          result.error = std::current_exception();
          rate_limited = retry_after(e.headers()).value_or(std::chrono::seconds(1));
        } catch (...) {
          result.error = std::current_exception();
        }
        if (!rate_limited || resends >= options.rate_limit_resends) break;
        pacer.pause_for(*rate_limited);
        ++summary.rate_limit_resends;
        result.error = nullptr;
      }
      ++(result.ok() ? summary.succeeded : summary.failed);
      if constexpr (IsAwaitable<std::invoke_result_t<OnResult&, BatchResult<Output>&&>>::value) {
        co_await on_result(std::move(result));
      } else {
        on_result(std::move(result));
      }
    }
  };

  std::size_t n_workers = std::max<std::size_t>(1, options.concurrency);
  for (std::size_t i = 0; i < n_workers; ++i) {
    ++active;
    asio::co_spawn(executor, worker(), [&](std::exception_ptr error) {
      if (error && !callback_error) callback_error = error;
      if (--active == 0) all_done.cancel();
    });
  }
  if (active > 0) {
    boost::system::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (callback_error) std::rethrow_exception(callback_error);
  co_return summary;
}

// Results handed from the batch's strand to the blocking client's thread, at most `capacity` waiting.
template <class T>
struct BatchQueue {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<BatchResult<T>> items;
  std::size_t capacity = 1;
  bool finished = false;
  std::exception_ptr error;
  std::stop_source stop;
  std::optional<boost::asio::steady_timer> space;  // the strand's wake-up for a full queue

  boost::asio::awaitable<void> push(BatchResult<T>&& result) {
    std::unique_lock lock(mutex);
    items.push_back(std::move(result));
    ready.notify_all();
    while (items.size() >= capacity && !stop.stop_requested()) {
      if (!space) space.emplace(co_await boost::asio::this_coro::executor);
      space->expires_at(std::chrono::steady_clock::time_point::max());
      lock.unlock();
      boost::system::error_code ec;
      co_await space->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      lock.lock();
    }
  }
};

// Called by the reader after taking an item or stopping: wakes a worker waiting for room. The
// queue is kept alive until the wake-up has run on the strand.
template <class T>
void wake_writers(const std::shared_ptr<BatchQueue<T>>& queue) {
  std::lock_guard lock(queue->mutex);
  if (queue->space) {
    boost::asio::post(queue->space->get_executor(), [queue] { queue->space->cancel(); });
  }
}

}  // namespace detail

template <std::ranges::input_range Range, class OnResult>
boost::asio::awaitable<BatchSummary> AsyncClient::batch(Range&& inputs, BatchOptions options, OnResult on_result) {
  auto strand = boost::asio::make_strand(executor());
  co_return co_await boost::asio::co_spawn(strand, detail::run_batch(*this, inputs, std::move(options), on_result),
                                           boost::asio::use_awaitable);
}

// The blocking form of batch(): an input range over results as they finish.
template <class T, class View>
class BatchResults {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = BatchResult<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(BatchResults* owner) : owner_(owner) {}
    BatchResult<T>& operator*() const { return *owner_->current_; }
    BatchResult<T>* operator->() const { return &*owner_->current_; }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool at_end() const { return !owner_->current_; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    BatchResults* owner_ = nullptr;
  };

  BatchResults(AsyncClient& client, View view, BatchOptions options) : state_(std::make_shared<State>(std::move(view))) {
    state_->queue->capacity = std::max<std::size_t>(1, options.concurrency);
    options.stop = state_->queue->stop.get_token();
    auto state = state_;
    auto op = [](AsyncClient& client, std::shared_ptr<State> state, BatchOptions options) -> boost::asio::awaitable<BatchSummary> {
      // Named, not temporaries in the co_await: GCC 12 destroys a temporary passed by value to a
      // coroutine inside a co_await expression twice.
      auto on_result = [state](BatchResult<T>&& r) { return state->queue->push(std::move(r)); };
      auto run = client.batch(state->view, std::move(options), std::move(on_result));
      BatchSummary summary = co_await std::move(run);
      co_return summary;
    };
    boost::asio::co_spawn(client.executor(), op(client, state, std::move(options)),
                          [state](std::exception_ptr error, BatchSummary summary) {
                            std::lock_guard lock(state->queue->mutex);
                            state->queue->finished = true;
                            state->queue->error = error;
                            state->summary = summary;
                            state->queue->ready.notify_all();
                          });
  }
  BatchResults(BatchResults&&) noexcept = default;
  // Stops reading inputs and waits for the requests in flight.
  ~BatchResults() {
    if (!state_) return;
    state_->queue->stop.request_stop();
    detail::wake_writers(state_->queue);
    std::unique_lock lock(state_->queue->mutex);
    state_->queue->ready.wait(lock, [&] { return state_->queue->finished; });
  }

  iterator begin() {
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }
  // The totals, once the loop has ended.
  BatchSummary summary() const { return state_->summary; }

 private:
  struct State {
    explicit State(View v) : view(std::move(v)) {}
    View view;
    std::shared_ptr<detail::BatchQueue<T>> queue = std::make_shared<detail::BatchQueue<T>>();
    BatchSummary summary;
  };

  void advance() {
    auto& q = *state_->queue;
    {
      std::unique_lock lock(q.mutex);
      q.ready.wait(lock, [&] { return !q.items.empty() || q.finished; });
      if (q.items.empty()) {
        current_.reset();
        if (q.error) std::rethrow_exception(std::exchange(q.error, nullptr));
        return;
      }
      current_ = std::move(q.items.front());
      q.items.pop_front();
    }
    detail::wake_writers(state_->queue);
  }

  std::shared_ptr<State> state_;
  std::optional<BatchResult<T>> current_;
};

template <std::ranges::input_range Range>
auto Client::batch(Range&& inputs, BatchOptions options) {
  using View = std::views::all_t<Range>;
  using T = detail::SubmitResult<std::ranges::range_value_t<Range>>;
  return BatchResults<T, View>(async_, std::views::all(std::forward<Range>(inputs)), std::move(options));
}

}  // namespace tachyon::client
