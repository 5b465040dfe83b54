#include "api/generation_session.h"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/api_error.h"
#include "api/metering.h"
#include "api/rate_limit_admission.h"
#include "api/responses.h"
#include "api/search_request.h"
#include "api/tool_calls.h"
#include "http/async_queue.h"
#include "platform/time_text.h"

namespace tachyon {
namespace {

using Clock = std::chrono::steady_clock;

// How often a request with no news from the engine checks that its client is still connected.
constexpr std::chrono::milliseconds kClientCheckInterval{20};

struct ChoiceEvent {
  int32_t index;
  EngineEvent event;
};

std::string finish_reason_name(FinishReason r, bool tool_calls = false) {
  if (r != FinishReason::Stop) return "length";
  return tool_calls ? "tool_calls" : "stop";
}

std::vector<TokenLogprobInfo> to_logprobs(const Tokenizer& tokenizer, const std::vector<SampledToken>& tokens) {
  std::vector<TokenLogprobInfo> out;
  for (const auto& t : tokens) {
    TokenLogprobInfo info{tokenizer.token_to_piece(t.token), t.logprob, {}};
    for (const auto& alt : t.top) info.top.push_back({tokenizer.token_to_piece(alt.token), alt.logprob});
    out.push_back(std::move(info));
  }
  return out;
}

// Per-choice bookkeeping while the request runs.
struct ChoiceState {
  std::string text;
  std::vector<TokenLogprobInfo> logprobs;
  bool first_chunk_sent = false;
  bool finished = false;
  FinishReason finish = FinishReason::Length;
  int32_t completion_tokens = 0;
  int32_t text_offset = 0;
  Clock::time_point last_token{};
  // Tools: everything generated, a forced call's stream, and (auto) whether the text so far
  // has been settled as content rather than held back as a possible call.
  std::string raw;
  ForcedCallStream forced;
  bool settled = false;
  bool made_call = false;
};

// What a streamed event adds to a choice whose output may be tool calls: content to send, and
// pieces of calls.
struct ToolPiece {
  std::string content;
  std::vector<ToolCallDelta> calls;
};

ToolPiece tool_piece(ChoiceState& c, const std::string& text, bool finished, const ToolRequest& tools) {
  ToolPiece out;
  c.raw += text;
  if (tools.forced()) {
    std::vector<ForcedCallStream::Delta> deltas = c.forced.feed(text);
    if (finished)
      for (auto& d : c.forced.finish()) deltas.push_back(std::move(d));
    for (auto& d : deltas) {
      c.made_call = true;
      out.calls.push_back({0, d.header ? d.id : "", d.header ? d.name : "", std::move(d.arguments)});
    }
    return out;
  }
  if (c.settled) {
    out.content = text;
    return out;
  }
  if (!may_start_tool_call(c.raw)) {
    c.settled = true;
    out.content = c.raw;
    return out;
  }
  if (!finished) return out;  // still held back
  ParsedToolOutput parsed = parse_tool_output(c.raw, tools, false);
  out.content = std::move(parsed.content);
  for (size_t i = 0; i < parsed.calls.size(); ++i) {
    c.made_call = true;
    out.calls.push_back({int32_t(i), parsed.calls[i].id, parsed.calls[i].name, parsed.calls[i].arguments});
  }
  return out;
}

}  // namespace

asio::awaitable<void> send_error(ResponseWriter& writer, const Error& error) {
  HttpResponse response = HttpResponse::json(http_status(error), error_body(error));
  if (error.kind == ErrorKind::ResourceExhausted) response.headers.set("Retry-After", "1");
  if (error.kind == ErrorKind::Unavailable) response.headers.set("Retry-After", "5");
  co_await writer.send(std::move(response));
}

asio::awaitable<void> send_json(ResponseWriter& writer, int status, const nlohmann::ordered_json& body) {
  co_await writer.send(HttpResponse::json(status, dump_json(body)));
}

asio::awaitable<void> run_generation(ServerContext& ctx, ServedModel& model, GenerationJob job, ResponseWriter& writer) {
  const Clock::time_point arrival = Clock::now();
  const int64_t arrival_ms = platform::system_now_ms();
  Engine& engine = *model.engine;
  const Tokenizer& tokenizer = *model.bundle->tokenizer;
  const GenerationParams& params = job.params;
  const int64_t n_prompt = int64_t(job.prompt.size());
  const int64_t n_ctx = engine.n_ctx();
  const platform::AuthenticatedKey* key = job.caller && job.caller->key ? &*job.caller->key : nullptr;
  double queue_seconds = 0;
  std::optional<Clock::time_point> first_token_at;
  // Prompt and completion text are kept for the retention period, unless the server or the key
  // keeps none.
  const bool keep_log = ctx.platform.keep_request_logs && !(key && key->no_retention);
  // The request's usage row; tokens and cost only for what the client was sent in full.
  auto usage_row = [&](int status, const UsageCounts& usage, const platform::CostMicros& cost) {
    platform::UsageRecord row;
    row.request_id = job.request_id;
    row.key_id = key ? key->id : "";
    row.model = model.name;
    row.endpoint = job.endpoint;
    row.created_ms = arrival_ms;
    row.status = status;
    row.prompt_tokens = usage.prompt_tokens;
    row.completion_tokens = usage.completion_tokens;
    row.cached_tokens = usage.cached_tokens;
    row.queue_ms = int64_t(queue_seconds * 1000);
    row.ttft_ms = first_token_at ? std::chrono::duration_cast<std::chrono::milliseconds>(*first_token_at - arrival).count() : 0;
    row.total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - arrival).count();
    row.cost = cost;
    row.search_queries = job.search_queries;
    return row;
  };
  // Refusals before the engine: a row with the status sent and no tokens, committed first.
  if (ctx.draining) {
    const Error e = make_error(ErrorKind::Unavailable, "the server is shutting down");
    platform::UsageRecord refused = usage_row(http_status(e), {}, {});
    co_await commit_refusal(ctx, std::move(refused));
    co_await send_error(writer, e);
    co_return;
  }
  if (n_prompt >= n_ctx || (params.max_tokens && n_prompt + *params.max_tokens > n_ctx)) {
    const ApiError e = context_length_exceeded(job.prompt_param, n_prompt, params.max_tokens.value_or(1), n_ctx);
    platform::UsageRecord refused = usage_row(e.status, {}, {});
    co_await commit_refusal(ctx, std::move(refused));
    HttpResponse response = HttpResponse::json(e.status, error_body(e));
    co_await writer.send(std::move(response));
    co_return;
  }
  // Token limits, before the request can take a place in the engine's queue (its request was
  // taken when it arrived): prompt plus the most it may generate is reserved now and settled
  // to the real count at the end.
  RateDecision limits;
  if (job.caller) {
    const int64_t n_out = params.max_tokens.value_or(int32_t(n_ctx - n_prompt));
    limits = admit_tokens(ctx, *job.caller, n_prompt + params.n * n_out);
    if (!limits.admitted()) {
      // Named, not a temporary inside co_await: GCC 12 mishandles some of those.
      platform::UsageRecord refused = usage_row(429, {}, {});
      co_await refuse_unadmitted(ctx, std::move(refused), *job.caller, limits, writer);
      co_return;
    }
  }

  auto queue = std::make_shared<AsyncQueue<ChoiceEvent>>(co_await asio::this_coro::executor);
  std::vector<uint64_t> ids;
  auto cancel_all = [&] {
    for (uint64_t id : ids) engine.cancel(id);
  };
  for (int32_t i = 0; i < params.n; ++i) {
    EngineRequest req;
    req.prompt = job.prompt;
    req.sampling = params.sampling;
    // Choices of one request differ; with a seed they stay reproducible.
    if (req.sampling.seed) req.sampling.seed = *req.sampling.seed + uint64_t(i);
    req.max_tokens = params.max_tokens.value_or(int32_t(n_ctx - n_prompt));
    req.stop = params.stop;
    req.ignore_eos = params.ignore_eos;
    req.speculative = params.speculative;
    req.constraint = job.constraint;
    auto id = engine.submit(std::move(req), [queue, i](EngineEvent&& e) { queue->push({i, std::move(e)}); });
    if (!id) {
      cancel_all();
      queue->close();
      if (job.caller) settle_under_limits(ctx, *job.caller, limits, 0);
      platform::UsageRecord rejected = usage_row(http_status(id.error()), {}, {});
      co_await commit_refusal(ctx, std::move(rejected));
      co_await send_error(writer, id.error());
      co_return;
    }
    ids.push_back(*id);
  }

  const bool chat = job.format == ResponseFormat::Chat;
  const ResponseMeta meta{new_response_id(chat ? "chatcmpl-" : "cmpl-"),
                          std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count(),
                          model.name, ctx.system_fingerprint, job.sources};
  const bool want_logprobs = params.sampling.logprobs;
  const bool with_tools = chat && job.tools.active();
  std::vector<ChoiceState> choices(params.n);
  int32_t n_finished = 0;
  int32_t cached_tokens = 0;
  bool ttft_recorded = false;
  std::optional<Error> failure;

  if (params.stream && !co_await writer.start_sse()) {
    cancel_all();
    queue->close();
    co_return;
  }
  auto chunk_json = [&](const ChoiceDelta& d) {
    if (chat) return chat_completion_chunk_json(meta, d, params.include_usage);
    return text_completion_chunk_json(meta, d, params.include_usage);
  };
  if (params.stream && !job.echo_text.empty()) {
    for (int32_t i = 0; i < params.n; ++i) {
      ChoiceDelta d{i, false, job.echo_text, std::nullopt, std::nullopt, 0};
      std::string chunk = chunk_json(d);
      co_await writer.send_event(std::move(chunk));
      choices[i].text_offset = code_point_count(job.echo_text);
    }
  }

  while (n_finished < params.n) {
    // Waiting for events is also when a client that left is noticed: queued or prefilling
    // requests send nothing for a while, and their KV blocks should not wait for the next token.
    auto popped = co_await queue->pop_for(kClientCheckInterval);
    if (popped.timed_out) {
      if (writer.client_gone()) {
        cancel_all();
        break;
      }
      continue;
    }
    std::optional<ChoiceEvent>& item = popped.item;
    if (!item) break;
    ChoiceState& c = choices[item->index];
    EngineEvent& e = item->event;
    const Clock::time_point now = Clock::now();
    if (!e.tokens.empty()) {
      if (!ttft_recorded) {
        ttft_recorded = true;
        first_token_at = now;
        queue_seconds = e.queue_seconds;
        ctx.metrics.observe_ttft(model.name, std::chrono::duration<double>(now - arrival).count());
        ctx.metrics.observe_queue_time(model.name, e.queue_seconds);
      } else if (c.last_token != Clock::time_point{}) {
        ctx.metrics.observe_inter_token(model.name, std::chrono::duration<double>(now - c.last_token).count());
      }
      c.last_token = now;
    }
    if (e.error) {
      failure = e.error;
      cancel_all();
      break;
    }
    std::vector<TokenLogprobInfo> lp = want_logprobs ? to_logprobs(tokenizer, e.tokens) : std::vector<TokenLogprobInfo>{};
    if (e.finished) {
      c.finished = true;
      c.finish = e.finish_reason;
      c.completion_tokens = e.completion_tokens;
      cached_tokens = e.cached_tokens;
      ++n_finished;
    }
    if (params.stream && keep_log) c.text += e.text;
    if (params.stream) {
      const bool first = chat && !c.first_chunk_sent;
      ToolPiece piece;
      if (with_tools) piece = tool_piece(c, e.text, e.finished, job.tools);
      else piece.content = e.text;
      if (first || !piece.content.empty() || !piece.calls.empty() || !lp.empty() || e.finished) {
        ChoiceDelta d{item->index, first, piece.content,
                      want_logprobs ? std::optional(lp) : std::nullopt,
                      e.finished ? std::optional(finish_reason_name(c.finish, c.made_call)) : std::nullopt,
                      c.text_offset, std::move(piece.calls), job.tools.forced()};
        c.first_chunk_sent = true;
        c.text_offset += code_point_count(piece.content);
        std::string chunk = chunk_json(d);
        if (!co_await writer.send_event(std::move(chunk))) {
          cancel_all();
          break;
        }
      }
    } else {
      c.text += e.text;
      for (auto& x : lp) c.logprobs.push_back(std::move(x));
      if (writer.client_gone()) {
        cancel_all();
        break;
      }
    }
  }
  queue->close();

  UsageCounts usage{int32_t(n_prompt), 0, cached_tokens};
  if (job.sources) {
    usage.num_search_queries = job.search_queries;
    usage.search_context_size = job.search_context_size;
  }
  for (const auto& c : choices) usage.completion_tokens += c.completion_tokens;
  ctx.metrics.add_tokens(model.name, n_prompt, usage.completion_tokens);
  ctx.metrics.observe_e2e(model.name, std::chrono::duration<double>(Clock::now() - arrival).count());
  if (job.caller) {
    settle_under_limits(ctx, *job.caller, limits, n_prompt + usage.completion_tokens);
    if (!params.stream) refresh_rate_snapshot(ctx, *job.caller, limits);
  }

  // The usage row is committed before the response's last bytes: a client that saw the
  // request finish is always billed, even if the process dies right after.
  const bool completed = !failure && n_finished == params.n && !writer.client_gone();
  int status = 200;
  if (failure) status = http_status(*failure);
  else if (!completed) status = 499;  // the client went away
  platform::CostMicros cost;
  if (completed) {
    cost = platform::compute_cost(ctx.platform.prices.price(model.name), usage.prompt_tokens, usage.completion_tokens);
    cost.request += job.search_queries * platform::compute_cost(ctx.platform.prices.price(kSearchUsageModel), 0, 0).request;
  }
  if (ctx.platform.store) usage.cost = usage_cost(cost);
  platform::UsageRecord row = usage_row(status, usage, cost);
  if (keep_log) {
    nlohmann::json texts = nlohmann::json::array();
    for (const auto& c : choices) texts.push_back(job.echo_text + c.text);
    row.log = platform::RequestLog{row.request_id, row.key_id, row.model, row.endpoint, row.created_ms, row.status,
                                   job.request_body,
                                   texts.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  const Status recorded = co_await commit_usage(ctx, std::move(row));
  if (!recorded) {
    fmt::print(stderr, "usage not recorded for {}: {}\n", job.request_id, recorded.error().message);
    if (completed) failure = make_error(ErrorKind::Internal, "the request's usage could not be recorded");
  }

  if (params.stream) {
    if (writer.client_gone()) co_return;
    if (failure) {
      std::string body = error_body(*failure);
      co_await writer.send_event(std::move(body));
    } else if (params.include_usage) {
      // Built outside the co_await: GCC 12 destroys a conditional's temporary twice there.
      std::string usage_chunk;
      if (chat) usage_chunk = chat_usage_chunk_json(meta, usage);
      else usage_chunk = text_completion_usage_chunk_json(meta, usage);
      co_await writer.send_event(std::move(usage_chunk));
    }
    if (!failure) co_await writer.send_event("[DONE]");
    co_await writer.end_sse();
    co_return;
  }
  if (failure) {
    co_await send_error(writer, *failure);
    co_return;
  }
  if (n_finished < params.n) co_return;  // client gone
  std::vector<ChoiceResult> results;
  for (int32_t i = 0; i < params.n; ++i) {
    ChoiceState& c = choices[i];
    ParsedToolOutput parsed;
    if (with_tools) parsed = parse_tool_output(c.text, job.tools, job.tools.forced());
    else parsed.content = job.echo_text + c.text;
    const bool made_call = !parsed.calls.empty();
    results.push_back({i, std::move(parsed.content), finish_reason_name(c.finish, made_call),
                       want_logprobs ? std::optional(std::move(c.logprobs)) : std::nullopt,
                       job.echo_text.empty() ? 0 : code_point_count(job.echo_text), std::move(parsed.calls)});
  }
  std::string body;
  if (chat) body = chat_completion_json(meta, results, usage);
  else body = text_completion_json(meta, results, usage);
  HttpResponse response = HttpResponse::json(200, std::move(body));
  co_await writer.send(std::move(response));
}

}  // namespace tachyon
