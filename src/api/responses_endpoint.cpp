// POST /v1/responses: the request becomes the chat completion it means (responses_request.h),
// runs through the chat endpoint, and its answer is recast as a Response object or as the
// Responses API's typed events (responses_stream.h) on the way out. Keys, limits, usage and
// constrained decoding therefore work exactly as for chat completions.
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "api/responses_request.h"
#include "api/responses_stream.h"

namespace tachyon::endpoints {
namespace {

// Sits between the chat endpoint and the client's writer, translating what passes through.
class ResponsesWriter final : public ResponseWriter {
 public:
  ResponsesWriter(ResponseWriter& out, ResponsesTranslator& translator) : out_(out), translator_(translator) {}

  // Values are named before each co_await: GCC 12 mishandles temporaries inside co_await.
  asio::awaitable<bool> send(HttpResponse response) override {
    if (response.status == 200) response.body = translator_.from_completion(response.body);
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
    std::vector<std::string> events = data == "[DONE]" ? translator_.finish() : translator_.on_chunk(data);
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
};

}  // namespace

asio::awaitable<void> responses_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_responses_request(req.body);
  if (!parsed) co_return co_await refuse_generation(ctx, caller, req, requested_model(req.body), parsed.error(), writer);
  HttpRequest chat = req;
  chat.body = parsed->chat_body.dump();
  ResponsesTranslator translator(parsed->chat_body.value("model", ""), parsed->echo);
  ResponsesWriter translating(writer, translator);
  co_await chat_completions(ctx, caller, chat, translating);
}

}  // namespace tachyon::endpoints
