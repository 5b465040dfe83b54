#include "client_core.h"

#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "errors_internal.h"
#include "tachyon/client/errors.h"
#include "tachyon/client/retry.h"
#include "tachyon/client/stream.h"

namespace tachyon::client::detail {

namespace {

constexpr std::uint64_t kMaxBodyBytes = 256u << 20;
constexpr const char* kUserAgent = "tachyon-client/0.1";

BaseUrl parse_or_throw(const std::string& url) {
  auto parsed = parse_base_url(url);
  if (!parsed) throw std::invalid_argument("tachyon-client: base URL must be http://host[:port][/path] or https://...: " + url);
  return *parsed;
}

template <class Fields>
Headers to_headers(const Fields& fields) {
  Headers headers;
  for (const auto& field : fields) headers.add(std::string(field.name_string()), std::string(field.value()));
  return headers;
}

std::exception_ptr transport_error(const ErrorCode& ec, const std::string& what) {
  if (ec == beast::error::timeout) return std::make_exception_ptr(APITimeoutError(what + " timed out"));
  return std::make_exception_ptr(APIConnectionError(what + ": " + ec.message()));
}

}  // namespace

struct ClientCore::Attempt {
  std::optional<Answer> answer;
  std::shared_ptr<StreamState> stream;
  std::exception_ptr error;
  bool retryable = false;
  std::optional<Duration> server_wait;
};

ClientCore::ClientCore(asio::any_io_executor executor, ClientOptions options)
    : options_(resolve_options(std::move(options))),
      url_(parse_or_throw(*options_.base_url)),
      strand_(asio::make_strand(executor)),
      pool_(strand_, url_, options_.pool, nullptr) {
  if (url_.tls) {
    tls_.emplace(asio::ssl::context::tls_client);
    tls_->set_default_verify_paths();
    tls_->set_verify_mode(options_.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
    pool_ = ConnectionPool(strand_, url_, options_.pool, &*tls_);
  }
  if (!options_.api_key->empty()) authorization_ = "Bearer " + *options_.api_key;
  monitor_.store(options_.monitor);
}

void ClientCore::publish_pool_counts() {
  open_connections_.store(pool_.open());
  connections_opened_.store(pool_.opened_total());
  peak_open_connections_.store(pool_.peak_open());
}

http::request<http::string_body> ClientCore::build_request(const Call& call, bool stream) const {
  http::request<http::string_body> request(call.method, url_.prefix + call.path, 11);
  request.set(http::field::host, url_.host_header());
  request.set(http::field::user_agent, kUserAgent);
  request.set(http::field::accept, stream ? "text/event-stream" : "application/json");
  if (!authorization_.empty()) request.set(http::field::authorization, authorization_);
  for (const auto& [name, value] : options_.default_headers) request.set(name, value);
  for (const auto& [name, value] : call.options.extra_headers) request.set(name, value);
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
  }
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

asio::awaitable<ClientCore::Attempt> ClientCore::attempt(const Call& call, bool stream) {
  const Timeouts& t = options_.timeouts;
  Duration connect_timeout = call.options.connect_timeout.value_or(t.connect);
  Duration read_timeout = call.options.read_timeout.value_or(t.read);
  TimePoint deadline = Clock::now() + call.options.total_timeout.value_or(t.total);
  auto io_deadline = [&] { return std::min(deadline, Clock::now() + read_timeout); };
  auto request = build_request(call, stream);
  Attempt out;

  for (;;) {
    std::unique_ptr<HttpConnection> connection;
    try {
      connection = co_await pool_.acquire(deadline, Clock::now() + connect_timeout);
    } catch (const APIConnectionError&) {
      out.error = std::current_exception();
      out.retryable = true;
    }
    if (!connection) co_return out;
    bool reused = connection->reused;

    ErrorCode ec = co_await connection->write(request, io_deadline());
    http::response_parser<http::empty_body> header_parser;
    if (!ec) ec = co_await connection->read_header(header_parser, io_deadline());
    if (ec) {
      pool_.release(std::move(connection), false);
      // A kept-alive connection the server had already closed: send again on another, which is no retry.
      if (reused && ec != beast::error::timeout) continue;
      out.error = transport_error(ec, "request to " + url_.host_header());
      out.retryable = true;
      co_return out;
    }
    int status = header_parser.get().result_int();
    Headers headers = to_headers(header_parser.get());

    if (stream && status >= 200 && status < 300) {
      auto state = std::make_shared<StreamState>();
      state->core = shared_from_this();
      state->parser = std::make_unique<http::response_parser<http::buffer_body>>(std::move(header_parser));
      state->parser->body_limit(boost::none);
      state->connection = std::move(connection);
      state->headers = std::move(headers);
      state->read_timeout = read_timeout;
      out.stream = std::move(state);
      co_return out;
    }

    http::response_parser<http::string_body> body_parser(std::move(header_parser));
    body_parser.body_limit(kMaxBodyBytes);
    ec = co_await connection->read(body_parser, io_deadline());
    if (ec) {
      pool_.release(std::move(connection), false);
      out.error = transport_error(ec, "reading the answer from " + url_.host_header());
      out.retryable = true;
      co_return out;
    }
    bool keep_alive = body_parser.get().keep_alive();
    std::string body = std::move(body_parser.get().body());
    pool_.release(std::move(connection), keep_alive);
    if (status >= 200 && status < 300) {
      out.answer = Answer{status, std::move(headers), std::move(body)};
      co_return out;
    }
    out.retryable = should_retry_status(status, headers);
    out.server_wait = retry_after(headers);
    out.error = make_status_error(status, std::move(body), std::move(headers));
    co_return out;
  }
}

asio::awaitable<void> ClientCore::sleep(Duration delay) {
  if (options_.sleeper) {
    co_await options_.sleeper(delay);
    co_return;
  }
  asio::steady_timer timer(strand_, delay);
  ErrorCode ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

double ClientCore::random01() {
  if (options_.random) return options_.random();
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

asio::awaitable<Answer> ClientCore::send(Call call) {
  auto started = Clock::now();
  auto monitor = this->monitor();
  int max_retries = call.options.max_retries.value_or(options_.max_retries);
  for (int retries = 0;; ++retries) {
    Attempt a = co_await attempt(call, false);
    publish_pool_counts();
    if (a.answer) {
      a.answer->elapsed = Clock::now() - started;
      a.answer->retries = retries;
      if (monitor) monitor->record_success(a.answer->elapsed);
      co_return std::move(*a.answer);
    }
    if (!a.retryable || retries >= max_retries) {
      if (monitor) monitor->record_error(error_type_name(a.error));
      std::rethrow_exception(a.error);
    }
    if (monitor) monitor->record_retry();
    co_await sleep(a.server_wait.value_or(backoff_delay(retries, random01())));
  }
}

asio::awaitable<std::shared_ptr<StreamState>> ClientCore::open_stream(Call call) {
  auto started = Clock::now();
  auto monitor = this->monitor();
  int max_retries = call.options.max_retries.value_or(options_.max_retries);
  for (int retries = 0;; ++retries) {
    Attempt a = co_await attempt(call, true);
    publish_pool_counts();
    if (a.stream) {
      a.stream->started = started;
      co_return a.stream;
    }
    if (!a.retryable || retries >= max_retries) {
      if (monitor) monitor->record_error(error_type_name(a.error));
      std::rethrow_exception(a.error);
    }
    if (monitor) monitor->record_retry();
    co_await sleep(a.server_wait.value_or(backoff_delay(retries, random01())));
  }
}

// ---- streams ----

namespace {

// Hands the connection back (reusable only after the whole body was read) and records the call.
void finish_stream(StreamState& s, bool reusable, const char* error_type) {
  if (s.finished) return;
  s.finished = true;
  if (!reusable) s.connection->close();
  s.core->pool().release(std::move(s.connection), reusable);
  s.core->publish_pool_counts();
  if (auto monitor = s.core->monitor()) {
    if (error_type) {
      monitor->record_error(error_type);
    } else {
      monitor->record_success(Clock::now() - s.started, s.ttft);
    }
  }
}

asio::awaitable<std::optional<Json>> next_on_strand(std::shared_ptr<StreamState> s) {
  std::vector<SseEvent> events;
  std::array<char, 16384> buffer;
  for (;;) {
    if (!s->pending.empty()) {
      std::string data = std::move(s->pending.front());
      s->pending.pop_front();
      if (!s->ttft) s->ttft = Clock::now() - s->started;
      Json event = Json::parse(data, nullptr, false);
      if (event.is_discarded() || (event.is_object() && event.contains("error"))) {
        finish_stream(*s, false, "StreamError");
        std::string message = "stream error event";
        if (!event.is_discarded() && event["error"].is_object() && event["error"].contains("message") &&
            event["error"]["message"].is_string()) {
          message = event["error"]["message"].get<std::string>();
        } else if (event.is_discarded()) {
          message = "stream event is not JSON";
        }
        throw StreamError(message, data);
      }
      co_return event;
    }
    if (s->finished) co_return std::nullopt;
    bool body_done = s->parser->is_done();
    if (s->saw_done && !body_done) {
      // Read the rest of the body ("[DONE]" is followed by its end) so the connection can be reused.
      s->parser->get().body().data = buffer.data();
      s->parser->get().body().size = buffer.size();
      ErrorCode ec = co_await s->connection->read_some(*s->parser, Clock::now() + s->read_timeout);
      if (ec) finish_stream(*s, false, nullptr);
      continue;
    }
    if (body_done) {
      finish_stream(*s, s->parser->get().keep_alive(), nullptr);
      co_return std::nullopt;
    }
    s->parser->get().body().data = buffer.data();
    s->parser->get().body().size = buffer.size();
    ErrorCode ec = co_await s->connection->read_some(*s->parser, Clock::now() + s->read_timeout);
    if (ec) {
      bool timeout = ec == beast::error::timeout;
      finish_stream(*s, false, timeout ? "APITimeoutError" : "APIConnectionError");
      if (timeout) throw APITimeoutError("stream read timed out");
      throw APIConnectionError("stream interrupted: " + ec.message());
    }
    std::size_t n = buffer.size() - s->parser->get().body().size;
    events.clear();
    s->sse.feed(std::string_view(buffer.data(), n), events);
    for (auto& event : events) {
      if (s->saw_done) break;
      if (event.data == "[DONE]") {
        s->saw_done = true;
      } else {
        s->pending.push_back(std::move(event.data));
      }
    }
  }
}

}  // namespace

asio::awaitable<std::optional<Json>> next_stream_event(std::shared_ptr<StreamState> state) {
  auto strand = state->core->strand();
  co_return co_await asio::co_spawn(strand, next_on_strand(std::move(state)), asio::use_awaitable);
}

std::optional<Json> next_stream_event_blocking(const std::shared_ptr<StreamState>& state) {
  return asio::co_spawn(state->core->strand(), next_on_strand(state), asio::use_future).get();
}

void close_stream(const std::shared_ptr<StreamState>& state) noexcept {
  try {
    asio::post(state->core->strand(), [state] { finish_stream(*state, false, nullptr); });
  } catch (...) {
  }
}

const Headers& stream_headers(const StreamState& state) { return state.headers; }

}  // namespace tachyon::client::detail
