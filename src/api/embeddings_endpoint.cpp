// POST /v1/embeddings: OpenAI's embeddings over a served encoder model. Behind the API key like
// the generation endpoints: the key must be allowed the model, the request takes one request
// and its input tokens from the key's buckets before it may queue, the encoder runs on the
// model's EmbeddingEngine thread (never on an I/O thread), and every answer and refusal leaves
// a usage row (prompt tokens = input tokens, no completion tokens) committed before it is sent.
#include <chrono>

#include <fmt/format.h>

#include "api/api_error.h"
#include "api/embeddings_api.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "api/rate_limit_admission.h"
#include "engine/text_embedder.h"
#include "http/async_queue.h"
#include "platform/time_text.h"

namespace tachyon::endpoints {
namespace {

using Clock = std::chrono::steady_clock;
using Vectors = std::vector<std::vector<float>>;

// The token ids of every input: texts through the model's tokenizer ([CLS] ... [SEP] added,
// special-token text parsed as llama.cpp's server does), ids as sent after a vocabulary check.
Result<std::vector<std::vector<int32_t>>> input_tokens(const EmbeddingsRequest& request, const Tokenizer& tokenizer) {
  std::vector<std::vector<int32_t>> inputs;
  if (const auto* texts = std::get_if<std::vector<std::string>>(&request.input)) {
    for (const std::string& text : *texts) inputs.push_back(embedding_tokens(tokenizer, text));
    return inputs;
  }
  inputs = std::get<std::vector<std::vector<int32_t>>>(request.input);
  for (size_t i = 0; i < inputs.size(); ++i)
    for (int32_t id : inputs[i])
      if (id >= tokenizer.n_vocab())
        return invalid_param("input", "Invalid 'input': token id {} (input {}) is not in the model's vocabulary of {}",
                             id, i, tokenizer.n_vocab());
  return inputs;
}

// Runs the request on the model's embedding engine; the coroutine waits without blocking.
asio::awaitable<Result<Vectors>> run_embeddings(EmbeddingEngine& embedder, std::vector<std::vector<int32_t>> inputs) {
  auto done = std::make_shared<AsyncQueue<Result<Vectors>>>(co_await asio::this_coro::executor);
  Status submitted = embedder.submit(EmbeddingRequest{std::move(inputs), true},
                                     [done](Result<Vectors>&& result) { done->push(std::move(result)); });
  if (!submitted) co_return submitted.error();
  std::optional<Result<Vectors>> result = co_await done->pop();
  co_return result ? std::move(*result) : Result<Vectors>(make_error(ErrorKind::Internal, "the embedding engine stopped"));
}

}  // namespace

asio::awaitable<void> embeddings(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  const Clock::time_point arrival = Clock::now();
  const std::optional<platform::AuthenticatedKey>& key = caller.key;
  auto request = parse_embeddings_request(req.body);
  if (!request) co_return co_await refuse_generation(ctx, caller, req, requested_model(req.body), request.error(), writer);
  const std::string& name = request->model;
  auto found = model_for_caller(ctx, caller, name);
  if (!found) co_return co_await refuse_generation(ctx, caller, req, name, found.error(), writer);
  const std::shared_ptr<ServedModel> model = std::move(*found);  // held until the request ends
  if (!model->embedder) {
    const Error e = invalid_param("model", "The model '{}' does not produce embeddings: it is a text generation model "
                                  "(use /v1/chat/completions or /v1/completions)", name);
    co_return co_await refuse_generation(ctx, caller, req, name, e, writer);
  }
  EmbeddingEngine& embedder = *model->embedder;
  if (request->dimensions)
    if (Status s = check_dimensions(*request->dimensions, embedder.n_embd(), model->matryoshka, name); !s)
      co_return co_await refuse_generation(ctx, caller, req, name, s.error(), writer);
  auto inputs = input_tokens(*request, *model->bundle->tokenizer);
  if (!inputs) co_return co_await refuse_generation(ctx, caller, req, name, inputs.error(), writer);
  int64_t n_tokens = 0;
  for (size_t i = 0; i < inputs->size(); ++i) {
    std::vector<int32_t>& input = (*inputs)[i];
    if (request->truncate) truncate_embedding_input(input, embedder.n_ctx());
    const int64_t n = int64_t(input.size());
    n_tokens += n;
    if (n > embedder.n_ctx()) {
      const ApiError e{400, "invalid_request_error", "context_length_exceeded",
                       fmt::format("This model's maximum context length is {} tokens, but input {} has {} tokens. "
                                   "Please shorten the input, or set 'truncate': true.", embedder.n_ctx(), i, n),
                       "input"};
      platform::UsageRecord refused = refusal_usage_row(caller, req, name, e.status);
      co_await commit_refusal(ctx, std::move(refused));
      HttpResponse response = HttpResponse::json(e.status, error_body(e));
      co_await writer.send(std::move(response));
      co_return;
    }
  }
  if (ctx.draining) {
    const Error e = make_error(ErrorKind::Unavailable, "the server is shutting down");
    co_return co_await refuse_generation(ctx, caller, req, name, e, writer);
  }
  // Token limits, before the request may queue (its request was taken when it arrived).
  const RateDecision limits = admit_tokens(ctx, caller, n_tokens);
  if (!limits.admitted()) {
    platform::UsageRecord refused = refusal_usage_row(caller, req, name, 429);
    co_return co_await refuse_unadmitted(ctx, std::move(refused), caller, limits, writer);
  }

  Result<Vectors> vectors = co_await run_embeddings(embedder, std::move(*inputs));
  const int64_t total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - arrival).count();
  ctx.metrics.observe_e2e(name, std::chrono::duration<double>(Clock::now() - arrival).count());
  const bool completed = vectors.ok() && !writer.client_gone();
  // The tokens were reserved at admission; a request that did not run spends none.
  settle_under_limits(ctx, caller, limits, completed ? n_tokens : 0);
  refresh_rate_snapshot(ctx, caller, limits);
  if (!vectors) {
    platform::UsageRecord failed = refusal_usage_row(caller, req, name, http_status(vectors.error()));
    failed.total_ms = total_ms;
    co_await commit_refusal(ctx, std::move(failed));
    co_return co_await send_error(writer, vectors.error());
  }
  ctx.metrics.add_tokens(name, n_tokens, 0);
  const int64_t dimensions = request->dimensions.value_or(embedder.n_embd());
  shorten_vectors(*vectors, dimensions);

  // The usage row is committed before the answer is sent, as for generations.
  platform::UsageRecord row = refusal_usage_row(caller, req, name, completed ? 200 : 499);
  row.prompt_tokens = n_tokens;
  row.total_ms = total_ms;
  if (completed) row.cost = platform::compute_cost(ctx.platform.prices.price(name), n_tokens, 0);
  std::optional<UsageCost> cost;
  if (ctx.platform.store) cost = usage_cost(row.cost);
  if (ctx.platform.keep_request_logs && !(key && key->no_retention))
    row.log = platform::RequestLog{row.request_id, row.key_id, row.model, row.endpoint, row.created_ms, row.status,
                                   std::string(req.body),
                                   fmt::format("[\"{} embeddings of {} dimensions\"]", vectors->size(), dimensions)};
  if (Status recorded = co_await commit_usage(ctx, std::move(row)); !recorded) {
    fmt::print(stderr, "usage not recorded for {}: {}\n", req.request_id, recorded.error().message);
    co_return co_await send_error(writer, make_error(ErrorKind::Internal, "the request's usage could not be recorded"));
  }
  if (!completed) co_return;  // the client went away
  std::string body = embeddings_response_json(*vectors, request->encoding, name, n_tokens, cost);
  HttpResponse response = HttpResponse::json(200, std::move(body));
  co_await writer.send(std::move(response));
}

}  // namespace tachyon::endpoints
