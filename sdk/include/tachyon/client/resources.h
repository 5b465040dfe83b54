// The API's resources as the official SDKs name them (client.chat().completions().create(...)).
// Resources are thin typed wrappers: they build a request and parse its answer; sending, retrying
// and pooling happen in one place behind detail::send. Each exists in an asynchronous form
// (awaitables, and futures) and a blocking form; both are cheap handles to their client, usable
// from any thread while the client lives.
#pragma once

#include <future>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "tachyon/client/options.h"
#include "tachyon/client/raw_response.h"
#include "tachyon/client/stream.h"
#include "tachyon/client/types.h"

namespace tachyon::client {

namespace detail {
class ClientCore;
using CorePtr = std::shared_ptr<ClientCore>;
}  // namespace detail

// ---- asynchronous ----

class AsyncChatCompletions {
 public:
  explicit AsyncChatCompletions(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<ChatCompletion> create(const ChatCompletionRequest& request, RequestOptions options = {}) const;
  std::future<ChatCompletion> create_future(const ChatCompletionRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<AsyncStream<ChatCompletionChunk>> stream(const ChatCompletionRequest& request,
                                                                  RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<ChatCompletion>> with_raw_response(const ChatCompletionRequest& request,
                                                                        RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncChat {
 public:
  explicit AsyncChat(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncChatCompletions completions() const { return AsyncChatCompletions(core_); }

 private:
  detail::CorePtr core_;
};

class AsyncCompletions {
 public:
  explicit AsyncCompletions(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<Completion> create(const CompletionRequest& request, RequestOptions options = {}) const;
  std::future<Completion> create_future(const CompletionRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<AsyncStream<Completion>> stream(const CompletionRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<Completion>> with_raw_response(const CompletionRequest& request,
                                                                    RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncModels {
 public:
  explicit AsyncModels(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<ModelList> list(RequestOptions options = {}) const;
  boost::asio::awaitable<Model> retrieve(const std::string& id, RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<ModelList>> with_raw_response(RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncSearch {
 public:
  explicit AsyncSearch(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<SearchResponse> create(const SearchRequest& request, RequestOptions options = {}) const;
  std::future<SearchResponse> create_future(const SearchRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<SearchResponse>> with_raw_response(const SearchRequest& request,
                                                                        RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

// Perplexity's async chat completions: submit a job, fetch it later.
class AsyncAsyncChatCompletions {
 public:
  explicit AsyncAsyncChatCompletions(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<AsyncChatCompletion> create(const AsyncChatCompletionRequest& request,
                                                     RequestOptions options = {}) const;
  boost::asio::awaitable<AsyncChatCompletion> get(const std::string& id, RequestOptions options = {}) const;
  boost::asio::awaitable<AsyncChatCompletionList> list(RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncAsyncChat {
 public:
  explicit AsyncAsyncChat(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncAsyncChatCompletions completions() const { return AsyncAsyncChatCompletions(core_); }

 private:
  detail::CorePtr core_;
};

class AsyncAsyncResource {
 public:
  explicit AsyncAsyncResource(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncAsyncChat chat() const { return AsyncAsyncChat(core_); }

 private:
  detail::CorePtr core_;
};

class AsyncResponses {
 public:
  explicit AsyncResponses(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<Response> create(const ResponseCreateRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<Response>> with_raw_response(const ResponseCreateRequest& request,
                                                                  RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncEmbeddings {
 public:
  explicit AsyncEmbeddings(detail::CorePtr core) : core_(std::move(core)) {}
  boost::asio::awaitable<EmbeddingResponse> create(const EmbeddingRequest& request, RequestOptions options = {}) const;
  boost::asio::awaitable<RawResponse<EmbeddingResponse>> with_raw_response(const EmbeddingRequest& request,
                                                                           RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

// ---- blocking ----

class ChatCompletions {
 public:
  explicit ChatCompletions(detail::CorePtr core) : core_(std::move(core)) {}
  ChatCompletion create(const ChatCompletionRequest& request, RequestOptions options = {}) const;
  Stream<ChatCompletionChunk> stream(const ChatCompletionRequest& request, RequestOptions options = {}) const;
  RawResponse<ChatCompletion> with_raw_response(const ChatCompletionRequest& request, RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class Chat {
 public:
  explicit Chat(detail::CorePtr core) : core_(std::move(core)) {}
  ChatCompletions completions() const { return ChatCompletions(core_); }

 private:
  detail::CorePtr core_;
};

class Completions {
 public:
  explicit Completions(detail::CorePtr core) : core_(std::move(core)) {}
  Completion create(const CompletionRequest& request, RequestOptions options = {}) const;
  Stream<Completion> stream(const CompletionRequest& request, RequestOptions options = {}) const;
  RawResponse<Completion> with_raw_response(const CompletionRequest& request, RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class Models {
 public:
  explicit Models(detail::CorePtr core) : core_(std::move(core)) {}
  ModelList list(RequestOptions options = {}) const;
  Model retrieve(const std::string& id, RequestOptions options = {}) const;
  RawResponse<ModelList> with_raw_response(RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class Search {
 public:
  explicit Search(detail::CorePtr core) : core_(std::move(core)) {}
  SearchResponse create(const SearchRequest& request, RequestOptions options = {}) const;
  RawResponse<SearchResponse> with_raw_response(const SearchRequest& request, RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncChatCompletionJobs {
 public:
  explicit AsyncChatCompletionJobs(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncChatCompletion create(const AsyncChatCompletionRequest& request, RequestOptions options = {}) const;
  AsyncChatCompletion get(const std::string& id, RequestOptions options = {}) const;
  AsyncChatCompletionList list(RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class AsyncChatJobs {
 public:
  explicit AsyncChatJobs(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncChatCompletionJobs completions() const { return AsyncChatCompletionJobs(core_); }

 private:
  detail::CorePtr core_;
};

class AsyncJobs {
 public:
  explicit AsyncJobs(detail::CorePtr core) : core_(std::move(core)) {}
  AsyncChatJobs chat() const { return AsyncChatJobs(core_); }

 private:
  detail::CorePtr core_;
};

class Responses {
 public:
  explicit Responses(detail::CorePtr core) : core_(std::move(core)) {}
  Response create(const ResponseCreateRequest& request, RequestOptions options = {}) const;
  RawResponse<Response> with_raw_response(const ResponseCreateRequest& request, RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

class Embeddings {
 public:
  explicit Embeddings(detail::CorePtr core) : core_(std::move(core)) {}
  EmbeddingResponse create(const EmbeddingRequest& request, RequestOptions options = {}) const;
  RawResponse<EmbeddingResponse> with_raw_response(const EmbeddingRequest& request, RequestOptions options = {}) const;

 private:
  detail::CorePtr core_;
};

}  // namespace tachyon::client
