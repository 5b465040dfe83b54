// POST /v1/responses: the request becomes the chat completion it means (responses_request.h),
// runs through the chat endpoint, and its answer is recast as a Response object or as the
// Responses API's typed events (responses_stream.h) on the way out. Keys, limits, usage and
// constrained decoding therefore work exactly as for chat completions.
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/responses_request.h"
#include "api/responses_stream.h"

namespace tachyon::endpoints {
namespace {

// Sits between the chat endpoint and the client's writer, translating what passes through.
class ResponsesWriter final : public ResponseWriter {
 public:
  ResponsesWriter(ResponseWriter& out, ResponsesTranslator& translator) : out_(out), translator_(translator) {}

  asio::awaitable<bool> send(HttpResponse response) override {
    if (response.status == 200) response.body = translator_.from_completion(response.body);
    co_return co_await out_.send(std::move(response));
  }
  asio::awaitable<bool> start_sse(int status, HttpHeaders headers) override {
    if (!co_await out_.start_sse(status, std::move(headers))) co_return false;
    co_return co_await forward(translator_.start());
  }
  asio::awaitable<bool> send_event(std::string data) override {
    // The chat stream's "[DONE]" closes the Response; the Responses API sends no [DONE] itself.
    if (data == "[DONE]") co_return co_await forward(translator_.finish());
    co_return co_await forward(translator_.on_chunk(data));
  }
  asio::awaitable<bool> end_sse() override { co_return co_await out_.end_sse(); }
  bool client_gone() override { return out_.client_gone(); }
  bool response_started() const override { return out_.response_started(); }

 private:
  asio::awaitable<bool> forward(std::vector<std::string> events) {
    for (std::string& e : events)
      if (!co_await out_.send_event(std::move(e))) co_return false;
    co_return true;
  }

  ResponseWriter& out_;
  ResponsesTranslator& translator_;
};

}  // namespace

asio::awaitable<void> responses_create(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  auto parsed = parse_responses_request(req.body);
  if (!parsed) co_return co_await send_error(writer, parsed.error());
  HttpRequest chat = req;
  chat.body = parsed->chat_body.dump();
  ResponsesTranslator translator(parsed->chat_body.value("model", ""), parsed->echo);
  ResponsesWriter translating(writer, translator);
  co_await chat_completions(ctx, caller, chat, translating);
}

}  // namespace tachyon::endpoints
