// Every resource method: build the Call, send it through the client's one path, parse the answer.
#include "tachyon/client/resources.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "client_core.h"
#include "tachyon/client/errors.h"

namespace tachyon::client {

namespace {

using detail::Answer;
using detail::Call;
using detail::CorePtr;
namespace asio = boost::asio;

Json parse_body(const Answer& answer) {
  Json j = Json::parse(answer.body, nullptr, false);
  if (j.is_discarded()) throw APIError("the answer is not JSON", answer.status, answer.body, answer.headers);
  return j;
}

template <class T>
asio::awaitable<T> call_parsed(CorePtr core, Call call) {
  Answer answer = co_await asio::co_spawn(core->strand(), core->send(std::move(call)), asio::use_awaitable);
  co_return T::from_json(parse_body(answer));
}

template <class T>
asio::awaitable<RawResponse<T>> call_raw(CorePtr core, Call call) {
  Answer a = co_await asio::co_spawn(core->strand(), core->send(std::move(call)), asio::use_awaitable);
  co_return RawResponse<T>(a.status, std::move(a.headers), std::move(a.body), a.elapsed, a.retries);
}

template <class Chunk>
asio::awaitable<AsyncStream<Chunk>> call_stream(CorePtr core, Call call) {
  auto state = co_await asio::co_spawn(core->strand(), core->open_stream(std::move(call)), asio::use_awaitable);
  co_return AsyncStream<Chunk>(std::move(state));
}

// Runs `op` on the client's strand and waits for it (never from the client's own I/O thread).
template <class T>
T block(const CorePtr& core, asio::awaitable<T> op) {
  return asio::co_spawn(core->strand(), std::move(op), asio::use_future).get();
}

template <class Chunk>
Stream<Chunk> block_stream(const CorePtr& core, Call call) {
  return Stream<Chunk>(block(core, core->open_stream(std::move(call))));
}

std::string path_segment(const std::string& id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

Call chat_call(const CorePtr& core, const ChatCompletionRequest& r, RequestOptions o, bool stream) {
  return {detail::http::verb::post, core->options().paths.chat_completions, r.to_json(stream).dump(), std::move(o)};
}
Call completion_call(const CorePtr& core, const CompletionRequest& r, RequestOptions o, bool stream) {
  return {detail::http::verb::post, core->options().paths.completions, r.to_json(stream).dump(), std::move(o)};
}
Call models_call(const CorePtr& core, RequestOptions o) {
  return {detail::http::verb::get, core->options().paths.models, "", std::move(o)};
}
Call model_call(const CorePtr& core, const std::string& id, RequestOptions o) {
  return {detail::http::verb::get, core->options().paths.models + "/" + path_segment(id), "", std::move(o)};
}
Call search_call(const CorePtr& core, const SearchRequest& r, RequestOptions o) {
  return {detail::http::verb::post, core->options().paths.search, r.to_json().dump(), std::move(o)};
}
Call async_create_call(const CorePtr& core, const AsyncChatCompletionRequest& r, RequestOptions o) {
  return {detail::http::verb::post, core->options().paths.async_chat_completions, r.to_json().dump(), std::move(o)};
}
Call async_get_call(const CorePtr& core, const std::string& id, RequestOptions o) {
  return {detail::http::verb::get, core->options().paths.async_chat_completions + "/" + path_segment(id), "",
          std::move(o)};
}
Call async_list_call(const CorePtr& core, RequestOptions o) {
  return {detail::http::verb::get, core->options().paths.async_chat_completions, "", std::move(o)};
}
Call responses_call(const CorePtr& core, const ResponseCreateRequest& r, RequestOptions o) {
  return {detail::http::verb::post, core->options().paths.responses, r.to_json().dump(), std::move(o)};
}
Call embeddings_call(const CorePtr& core, const EmbeddingRequest& r, RequestOptions o) {
  return {detail::http::verb::post, core->options().paths.embeddings, r.to_json().dump(), std::move(o)};
}

}  // namespace

// ---- asynchronous ----

asio::awaitable<ChatCompletion> AsyncChatCompletions::create(const ChatCompletionRequest& r, RequestOptions o) const {
  return call_parsed<ChatCompletion>(core_, chat_call(core_, r, std::move(o), false));
}
std::future<ChatCompletion> AsyncChatCompletions::create_future(const ChatCompletionRequest& r, RequestOptions o) const {
  return asio::co_spawn(core_->strand(), call_parsed<ChatCompletion>(core_, chat_call(core_, r, std::move(o), false)),
                        asio::use_future);
}
asio::awaitable<AsyncStream<ChatCompletionChunk>> AsyncChatCompletions::stream(const ChatCompletionRequest& r,
                                                                              RequestOptions o) const {
  return call_stream<ChatCompletionChunk>(core_, chat_call(core_, r, std::move(o), true));
}
asio::awaitable<RawResponse<ChatCompletion>> AsyncChatCompletions::with_raw_response(const ChatCompletionRequest& r,
                                                                                    RequestOptions o) const {
  return call_raw<ChatCompletion>(core_, chat_call(core_, r, std::move(o), false));
}

asio::awaitable<Completion> AsyncCompletions::create(const CompletionRequest& r, RequestOptions o) const {
  return call_parsed<Completion>(core_, completion_call(core_, r, std::move(o), false));
}
std::future<Completion> AsyncCompletions::create_future(const CompletionRequest& r, RequestOptions o) const {
  return asio::co_spawn(core_->strand(), call_parsed<Completion>(core_, completion_call(core_, r, std::move(o), false)),
                        asio::use_future);
}
asio::awaitable<AsyncStream<Completion>> AsyncCompletions::stream(const CompletionRequest& r, RequestOptions o) const {
  return call_stream<Completion>(core_, completion_call(core_, r, std::move(o), true));
}
asio::awaitable<RawResponse<Completion>> AsyncCompletions::with_raw_response(const CompletionRequest& r,
                                                                            RequestOptions o) const {
  return call_raw<Completion>(core_, completion_call(core_, r, std::move(o), false));
}

asio::awaitable<ModelList> AsyncModels::list(RequestOptions o) const {
  return call_parsed<ModelList>(core_, models_call(core_, std::move(o)));
}
asio::awaitable<Model> AsyncModels::retrieve(const std::string& id, RequestOptions o) const {
  return call_parsed<Model>(core_, model_call(core_, id, std::move(o)));
}
asio::awaitable<RawResponse<ModelList>> AsyncModels::with_raw_response(RequestOptions o) const {
  return call_raw<ModelList>(core_, models_call(core_, std::move(o)));
}

asio::awaitable<SearchResponse> AsyncSearch::create(const SearchRequest& r, RequestOptions o) const {
  return call_parsed<SearchResponse>(core_, search_call(core_, r, std::move(o)));
}
std::future<SearchResponse> AsyncSearch::create_future(const SearchRequest& r, RequestOptions o) const {
  return asio::co_spawn(core_->strand(), call_parsed<SearchResponse>(core_, search_call(core_, r, std::move(o))),
                        asio::use_future);
}
asio::awaitable<RawResponse<SearchResponse>> AsyncSearch::with_raw_response(const SearchRequest& r,
                                                                            RequestOptions o) const {
  return call_raw<SearchResponse>(core_, search_call(core_, r, std::move(o)));
}

asio::awaitable<AsyncChatCompletion> AsyncAsyncChatCompletions::create(const AsyncChatCompletionRequest& r,
                                                                       RequestOptions o) const {
  return call_parsed<AsyncChatCompletion>(core_, async_create_call(core_, r, std::move(o)));
}
asio::awaitable<AsyncChatCompletion> AsyncAsyncChatCompletions::get(const std::string& id, RequestOptions o) const {
  return call_parsed<AsyncChatCompletion>(core_, async_get_call(core_, id, std::move(o)));
}
asio::awaitable<AsyncChatCompletionList> AsyncAsyncChatCompletions::list(RequestOptions o) const {
  return call_parsed<AsyncChatCompletionList>(core_, async_list_call(core_, std::move(o)));
}

asio::awaitable<Response> AsyncResponses::create(const ResponseCreateRequest& r, RequestOptions o) const {
  return call_parsed<Response>(core_, responses_call(core_, r, std::move(o)));
}
asio::awaitable<RawResponse<Response>> AsyncResponses::with_raw_response(const ResponseCreateRequest& r,
                                                                         RequestOptions o) const {
  return call_raw<Response>(core_, responses_call(core_, r, std::move(o)));
}

asio::awaitable<EmbeddingResponse> AsyncEmbeddings::create(const EmbeddingRequest& r, RequestOptions o) const {
  return call_parsed<EmbeddingResponse>(core_, embeddings_call(core_, r, std::move(o)));
}
asio::awaitable<RawResponse<EmbeddingResponse>> AsyncEmbeddings::with_raw_response(const EmbeddingRequest& r,
                                                                                   RequestOptions o) const {
  return call_raw<EmbeddingResponse>(core_, embeddings_call(core_, r, std::move(o)));
}

// ---- blocking ----

ChatCompletion ChatCompletions::create(const ChatCompletionRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<ChatCompletion>(core_, chat_call(core_, r, std::move(o), false)));
}
Stream<ChatCompletionChunk> ChatCompletions::stream(const ChatCompletionRequest& r, RequestOptions o) const {
  return block_stream<ChatCompletionChunk>(core_, chat_call(core_, r, std::move(o), true));
}
RawResponse<ChatCompletion> ChatCompletions::with_raw_response(const ChatCompletionRequest& r, RequestOptions o) const {
  return block(core_, call_raw<ChatCompletion>(core_, chat_call(core_, r, std::move(o), false)));
}

Completion Completions::create(const CompletionRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<Completion>(core_, completion_call(core_, r, std::move(o), false)));
}
Stream<Completion> Completions::stream(const CompletionRequest& r, RequestOptions o) const {
  return block_stream<Completion>(core_, completion_call(core_, r, std::move(o), true));
}
RawResponse<Completion> Completions::with_raw_response(const CompletionRequest& r, RequestOptions o) const {
  return block(core_, call_raw<Completion>(core_, completion_call(core_, r, std::move(o), false)));
}

ModelList Models::list(RequestOptions o) const {
  return block(core_, call_parsed<ModelList>(core_, models_call(core_, std::move(o))));
}
Model Models::retrieve(const std::string& id, RequestOptions o) const {
  return block(core_, call_parsed<Model>(core_, model_call(core_, id, std::move(o))));
}
RawResponse<ModelList> Models::with_raw_response(RequestOptions o) const {
  return block(core_, call_raw<ModelList>(core_, models_call(core_, std::move(o))));
}

SearchResponse Search::create(const SearchRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<SearchResponse>(core_, search_call(core_, r, std::move(o))));
}
RawResponse<SearchResponse> Search::with_raw_response(const SearchRequest& r, RequestOptions o) const {
  return block(core_, call_raw<SearchResponse>(core_, search_call(core_, r, std::move(o))));
}

AsyncChatCompletion AsyncChatCompletionJobs::create(const AsyncChatCompletionRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<AsyncChatCompletion>(core_, async_create_call(core_, r, std::move(o))));
}
AsyncChatCompletion AsyncChatCompletionJobs::get(const std::string& id, RequestOptions o) const {
  return block(core_, call_parsed<AsyncChatCompletion>(core_, async_get_call(core_, id, std::move(o))));
}
AsyncChatCompletionList AsyncChatCompletionJobs::list(RequestOptions o) const {
  return block(core_, call_parsed<AsyncChatCompletionList>(core_, async_list_call(core_, std::move(o))));
}

Response Responses::create(const ResponseCreateRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<Response>(core_, responses_call(core_, r, std::move(o))));
}
RawResponse<Response> Responses::with_raw_response(const ResponseCreateRequest& r, RequestOptions o) const {
  return block(core_, call_raw<Response>(core_, responses_call(core_, r, std::move(o))));
}

EmbeddingResponse Embeddings::create(const EmbeddingRequest& r, RequestOptions o) const {
  return block(core_, call_parsed<EmbeddingResponse>(core_, embeddings_call(core_, r, std::move(o))));
}
RawResponse<EmbeddingResponse> Embeddings::with_raw_response(const EmbeddingRequest& r, RequestOptions o) const {
  return block(core_, call_raw<EmbeddingResponse>(core_, embeddings_call(core_, r, std::move(o))));
}

}  // namespace tachyon::client
