#include "bench/stream_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/sse_parser.h"

namespace tachyon::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxErrorBodyBytes = 300;

}  // namespace

std::string HttpTarget::api_root() const {
  const bool has_v1 = path_prefix.size() >= 3 && path_prefix.compare(path_prefix.size() - 3, 3, "/v1") == 0;
  return has_v1 ? path_prefix : path_prefix + "/v1";
}

std::string HttpTarget::path(Endpoint endpoint) const {
  return api_root() + (endpoint == Endpoint::Chat ? "/chat/completions" : "/completions");
}

Result<HttpTarget> parse_base_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, 8) == "https://") return make_error("{}: https is not supported; use plain http", url);
  if (url.substr(0, scheme.size()) != scheme) return make_error("{}: base URL must start with http://", url);
  std::string_view rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string prefix(slash == std::string_view::npos ? std::string_view{} : rest.substr(slash));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  HttpTarget t{std::string(url), "", "80", prefix};
  if (authority.empty()) return make_error("{}: no host", url);
  if (authority.front() == '[') {  // [ipv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error("{}: unterminated IPv6 address", url);
    t.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return make_error("{}: bad port", url);
      t.port = std::string(authority.substr(close + 2));
    }
  } else {
    const size_t colon = authority.rfind(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) t.port = std::string(authority.substr(colon + 1));
  }
  if (t.host.empty()) return make_error("{}: no host", url);
  if (t.port.empty() || t.port.find_first_not_of("0123456789") != std::string::npos || t.port.size() > 5)
    return make_error("{}: bad port", url);
  return t;
}

double RequestRecord::decode_tps() const {
  if (chunk_times_s.size() < 2 || completion_tokens < 2) return 0;
  const double span = chunk_times_s.back() - chunk_times_s.front();
  return span > 0 ? (completion_tokens - 1) / span : 0;
}

std::string request_body(const ClientOptions& options, const RequestSpec& spec) {
  nlohmann::json body = {
      {"max_tokens", spec.output_tokens},
      {"ignore_eos", true},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
  };
  if (!options.model.empty()) body["model"] = options.model;
  if (options.endpoint == Endpoint::Chat)
    body["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", spec.prompt}}});
  else
    body["prompt"] = spec.prompt;
  return body.dump();
}

void apply_event(std::string_view data, double t_s, RequestRecord& record) {
  if (data == "[DONE]") {
    record.done = true;
    return;
  }
  const auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (record.error.empty()) record.error = "unparseable chunk: " + std::string(data.substr(0, kMaxErrorBodyBytes));
    return;
  }
  if (const auto err = j.find("error"); err != j.end()) {
    const auto msg = err->is_object() && err->contains("message") ? err->at("message").dump() : err->dump();
    record.error = "server error: " + msg.substr(0, kMaxErrorBodyBytes);
    return;
  }
  bool has_text = false;
  if (const auto choices = j.find("choices"); choices != j.end() && choices->is_array()) {
    for (const auto& choice : *choices) {
      const nlohmann::json* text = nullptr;
      if (const auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
        if (const auto content = delta->find("content"); content != delta->end()) text = &*content;
      } else if (const auto t = choice.find("text"); t != choice.end()) {
        text = &*t;
      }
      if (text && text->is_string() && !text->get_ref<const std::string&>().empty()) has_text = true;
    }
  }
  if (has_text) {
    record.chunk_times_s.push_back(t_s);
    if (!record.usage_reported) record.completion_tokens = int32_t(record.chunk_times_s.size());
  }
  if (const auto usage = j.find("usage"); usage != j.end() && usage->is_object()) {
    record.usage_reported = true;
    record.prompt_tokens = usage->value("prompt_tokens", 0);
    record.completion_tokens = usage->value("completion_tokens", 0);
  }
}

Result<std::string> fetch_first_model_id(const HttpTarget& target, const std::string& api_key,
                                         std::chrono::milliseconds timeout) {
  asio::io_context io;
  Result<std::string> result = make_error("{}: no answer from /v1/models", target.base_url);
  auto fetch = [&]() -> asio::awaitable<void> {
    beast::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    const auto endpoints = co_await resolver.async_resolve(target.host, target.port, token);
    if (!ec) co_await stream.async_connect(endpoints, token);
    http::request<http::empty_body> request{http::verb::get, target.api_root() + "/models", 11};
    request.set(http::field::host, target.host + ":" + target.port);
    if (!api_key.empty()) request.set(http::field::authorization, "Bearer " + api_key);
    if (!ec) co_await http::async_write(stream, request, token);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (!ec) co_await http::async_read(stream, buffer, response, token);
    if (ec) {
      result = make_error("{}: GET /v1/models: {}", target.base_url, ec.message());
      co_return;
    }
    const auto j = nlohmann::json::parse(response.body(), nullptr, false);
    if (response.result_int() == 200 && j.is_object() && j.contains("data") && j["data"].is_array() &&
        !j["data"].empty() && j["data"][0].contains("id") && j["data"][0]["id"].is_string()) {
      result = j["data"][0]["id"].get<std::string>();
    } else {
      result = make_error("{}: GET /v1/models answered {} without a model id; pass --model", target.base_url,
                          response.result_int());
    }
  };
  asio::co_spawn(io, fetch(), asio::detached);
  io.run();
  return result;
}

asio::awaitable<void> stream_completion(const HttpTarget& target, const ClientOptions& options,
                                        const RequestSpec& spec, RequestRecord& record) {
  const auto start = Clock::now();
  auto since_start = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  beast::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  auto fail = [&](std::string_view step) {
    record.ok = false;
    record.error = fmt::format("{}: {}", step, ec.message());
    record.e2e_s = since_start();
  };

  const auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(options.timeout);  // one deadline for the whole exchange
  const auto endpoints = co_await resolver.async_resolve(target.host, target.port, token);
  if (ec) co_return fail("resolve");
  co_await stream.async_connect(endpoints, token);
  if (ec) co_return fail("connect");

  http::request<http::string_body> request{http::verb::post, target.path(options.endpoint), 11};
  request.set(http::field::host, target.host + ":" + target.port);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "text/event-stream");
  if (!options.api_key.empty()) request.set(http::field::authorization, "Bearer " + options.api_key);
  request.body() = request_body(options, spec);
  request.prepare_payload();
  co_await http::async_write(stream, request, token);
  if (ec) co_return fail("send");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // a stream's length is bounded by max_tokens, not by us
  co_await http::async_read_header(stream, buffer, parser, token);
  if (ec) co_return fail("read header");
  record.http_status = int(parser.get().result_int());
  const bool success = record.http_status == 200;

  SseParser sse;
  std::string error_body;
  while (!parser.is_done()) {
    co_await http::async_read_some(stream, buffer, parser, token);
    if (ec) break;
    std::string& body = parser.get().body();
    if (success) {
      const double t = since_start();
      for (const std::string& event : sse.feed(body)) apply_event(event, t, record);
    } else if (error_body.size() < kMaxErrorBodyBytes) {
      error_body += body.substr(0, kMaxErrorBodyBytes - error_body.size());
    }
    body.clear();  // the parser appends to the body string; keep only what is not yet seen
  }
  record.e2e_s = since_start();
  if (!success) {
    record.error = fmt::format("HTTP {}: {}", record.http_status, error_body);
  } else if (ec && record.error.empty() && !record.done) {
    record.error = fmt::format("read: {}", ec.message());
  }
  record.ok = record.error.empty();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

}  // namespace tachyon::bench
