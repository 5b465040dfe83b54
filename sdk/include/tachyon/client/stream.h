// Streamed responses: chunks parsed as their server-sent events arrive. AsyncStream is read with
// `co_await stream.next()`, Stream with a range-for. Leaving either before the end (destroying it,
// or close()) closes its connection, so the server stops generating.
#pragma once

#include <iterator>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "tachyon/client/headers.h"
#include "tachyon/client/types.h"

namespace tachyon::client {

namespace detail {
struct StreamState;
// The JSON of the stream's next event, or none after its end ("[DONE]" or the end of the body).
// Throws StreamError for an error event, APIConnectionError / APITimeoutError when the connection fails.
boost::asio::awaitable<std::optional<Json>> next_stream_event(std::shared_ptr<StreamState> state);
// The same, from a thread that is not running the client's executor (the blocking client).
std::optional<Json> next_stream_event_blocking(const std::shared_ptr<StreamState>& state);
// Closes the connection unless the stream has ended; safe from any thread, returns at once.
void close_stream(const std::shared_ptr<StreamState>& state) noexcept;
const Headers& stream_headers(const StreamState& state);
}  // namespace detail

// Chunk: ChatCompletionChunk or Completion. One reader at a time.
template <class Chunk>
class AsyncStream {
 public:
  explicit AsyncStream(std::shared_ptr<detail::StreamState> state) : state_(std::move(state)) {}
  AsyncStream(AsyncStream&&) noexcept = default;
  AsyncStream& operator=(AsyncStream&& other) noexcept {
    close();
    state_ = std::move(other.state_);
    usage_ = std::move(other.usage_);
    return *this;
  }
  ~AsyncStream() { close(); }

  // The next chunk, or none once the stream has ended.
  boost::asio::awaitable<std::optional<Chunk>> next() {
    if (!state_) co_return std::nullopt;
    std::optional<Json> event = co_await detail::next_stream_event(state_);
    if (!event) co_return std::nullopt;
    Chunk chunk = Chunk::from_json(*event);
    if (chunk.usage) usage_ = chunk.usage;
    co_return chunk;
  }
  // The final usage chunk's usage, once it has been read (requests ask for it by default).
  const std::optional<Usage>& usage() const { return usage_; }
  const Headers& headers() const { return detail::stream_headers(*state_); }
  std::string request_id() const { return headers().get("x-request-id").value_or(""); }
  void close() noexcept {
    if (state_) detail::close_stream(state_);
  }

 private:
  std::shared_ptr<detail::StreamState> state_;
  std::optional<Usage> usage_;
};

// The blocking client's stream: an input range of chunks, `for (auto& chunk : stream)`.
template <class Chunk>
class Stream {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Chunk;
    using difference_type = std::ptrdiff_t;
    using pointer = Chunk*;
    using reference = Chunk&;
    iterator() = default;
    explicit iterator(Stream* stream) : stream_(stream) {}
    Chunk& operator*() const { return *stream_->current_; }
    Chunk* operator->() const { return &*stream_->current_; }
    iterator& operator++() {
      stream_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool at_end() const { return !stream_->current_; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    Stream* stream_ = nullptr;
  };

  explicit Stream(std::shared_ptr<detail::StreamState> state) : state_(std::move(state)) {}
  Stream(Stream&&) noexcept = default;
  ~Stream() { close(); }

  // Reads the first chunk; iterate once.
  iterator begin() {
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }
  // The next chunk, or none at the end (for reading without a range-for).
  std::optional<Chunk> next() {
    advance();
    return current_;
  }
  const std::optional<Usage>& usage() const { return usage_; }
  const Headers& headers() const { return detail::stream_headers(*state_); }
  std::string request_id() const { return headers().get("x-request-id").value_or(""); }
  void close() noexcept {
    if (state_) detail::close_stream(state_);
  }

 private:
  void advance() {
    std::optional<Json> event = detail::next_stream_event_blocking(state_);
    if (!event) {
      current_.reset();
      return;
    }
    current_ = Chunk::from_json(*event);
    if (current_->usage) usage_ = current_->usage;
  }

  std::shared_ptr<detail::StreamState> state_;
  std::optional<Chunk> current_;
  std::optional<Usage> usage_;
};

}  // namespace tachyon::client
