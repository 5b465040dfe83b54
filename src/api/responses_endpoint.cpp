// POST /v1/responses: the request becomes the chat completion it means (responses_request.h),
// runs through the chat endpoint, and its answer is recast as a Response object or as the
// Responses API's typed events (responses_stream.h) on the way out. Keys, limits, usage and
// constrained decoding therefore work exactly as for chat completions. With `store` (the
// default) the Response and the conversation it answered are kept, before its last byte is
// sent, so a request naming it as previous_response_id continues from it; GET
// /v1/responses/{id} returns it.
#include <functional>

#include <fmt/format.h>

#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "api/responses_request.h"
#include "api/responses_stream.h"
#include "platform/time_text.h"

namespace tachyon::endpoints {
namespace {

using ojson = nlohmann::ordered_json;

// Sits between the chat endpoint and the client's writer, translating what passes through.
// `on_final` runs with the finished Response before its last bytes go out.
class ResponsesWriter final : public ResponseWriter {
 public:
  ResponsesWriter(ResponseWriter& out, ResponsesTranslator& translator, std::function<void()> on_final)
      : out_(out), translator_(translator), on_final_(std::move(on_final)) {}

  // Values are named before each co_await: GCC 12 mishandles temporaries inside co_await.
  asio::awaitable<bool> send(HttpResponse response) override {
    if (response.status == 200) {
      response.body = translator_.from_completion(response.body);
      on_final_();
    }
    const bool sent = co_await out_.send(std::move(response));
    co_return sent;
  }
  asio::awaitable<bool> start_sse(int status, HttpHeaders headers) override {
    const bool started = co_await out_.start_sse(status, std::move(headers));
    if (!started) co_return false;
    std::vector<std::string> events = translator_.start();
    const bool sent = co_await forward(std::move(events));
    co_return sent;
  }
  asio::awaitable<bool> send_event(std::string data) override {
    // The chat stream's "[DONE]" closes the Response; the Responses API sends no [DONE] itself.
    std::vector<std::string> events;
    if (data == "[DONE]") {
      events = translator_.finish();
      on_final_();
    } else {
      events = translator_.on_chunk(data);
    }
    const bool sent = co_await forward(std::move(events));
    co_return sent;
  }
  asio::awaitable<bool> end_sse() override {
    const bool ended = co_await out_.end_sse();
    co_return ended;
  }
  bool client_gone() override { return out_.client_gone(); }
  bool response_started() const override { return out_.response_started(); }

 private:
  asio::awaitable<bool> forward(std::vector<std::string> events) {
    for (std::string& e : events) {
      const bool sent = co_await out_.send_event(std::move(e));
      if (!sent) co_return false;
    }
    co_return true;
  }

  ResponseWriter& out_;
  ResponsesTranslator& translator_;
  std::function<void()> on_final_;
};

std::string key_of(const Caller& caller) { return caller.key ? caller.key->id : ""; }

// Whether this caller's conversations may be kept: a store, request text kept by the server,
// and a key that did not opt out of retention.
bool may_store(const ServerContext& ctx, const Caller& caller) {
  return ctx.platform.store && ctx.platform.keep_request_logs && !(caller.key && caller.key->no_retention);
}

}  // namespace

asio::awaitable<void> responses_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_responses_request(req.body);
  if (!parsed) co_return co_await refuse_generation(ctx, caller, req, requested_model(req.body), parsed.error(), writer);
  ojson earlier = ojson::array();
  if (!parsed->previous_response_id.empty()) {
    Result<platform::StoredResponse> previous =
        ctx.platform.store ? ctx.platform.store->get_response(parsed->previous_response_id, key_of(caller))
                           : Result<platform::StoredResponse>(Error{"", ErrorKind::NotFound});
    if (!previous) {
      Error e{fmt::format("Previous response with id '{}' not found.", parsed->previous_response_id),
              previous.error().kind == ErrorKind::NotFound ? ErrorKind::NotFound : ErrorKind::Internal,
              "previous_response_id"};
      co_return co_await refuse_generation(ctx, caller, req, parsed->chat_body.value("model", ""), e, writer);
    }
    earlier = ojson::parse(previous->messages_json, nullptr, false);
    for (const ojson& m : response_output_messages(ojson::parse(previous->response_json, nullptr, false)))
      earlier.push_back(m);
  }
  const bool store = parsed->store && may_store(ctx, caller);
  parsed->echo["store"] = store;
  if (!parsed->previous_response_id.empty()) parsed->echo["previous_response_id"] = parsed->previous_response_id;

  HttpRequest chat = req;
  chat.body = parsed->chat_body_with(earlier).dump();
  ResponsesTranslator translator(parsed->chat_body.value("model", ""), parsed->echo);
  // What a later request continues from: the conversation without the instructions, and the
  // answer (kept in the Response itself).
  ojson conversation = earlier;
  for (const ojson& m : parsed->input_messages) conversation.push_back(m);
  auto keep = [&] {
    if (!store) return;
    const platform::StoredResponse stored{translator.id(), key_of(caller), parsed->chat_body.value("model", ""),
                                          platform::system_now_ms(), conversation.dump(), translator.final_response()};
    if (Status s = ctx.platform.store->insert_response(stored); !s)
      fmt::print(stderr, "response {} not stored: {}\n", stored.id, s.error().message);
  };
  ResponsesWriter translating(writer, translator, keep);
  co_await chat_completions(ctx, caller, chat, translating);
}

asio::awaitable<void> responses_get(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  const std::string id(req.path_param("id"));
  Result<platform::StoredResponse> stored =
      ctx.platform.store ? ctx.platform.store->get_response(id, key_of(caller))
                         : Result<platform::StoredResponse>(Error{"", ErrorKind::NotFound});
  if (!stored) {
    const Error e{fmt::format("Response with id '{}' not found.", id),
                  stored.error().kind == ErrorKind::NotFound ? ErrorKind::NotFound : ErrorKind::Internal, "id"};
    co_return co_await send_error(writer, e);
  }
  co_await writer.send(HttpResponse::json(200, stored->response_json));
}

}  // namespace tachyon::endpoints
