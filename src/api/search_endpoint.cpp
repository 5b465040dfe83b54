// POST /search: Perplexity's Search API over the operator's own index. Behind the API key and
// its request limit like the generation endpoints (a search spends no tokens); every answer and
// refusal leaves a usage row (model "search", search_queries = the number of queries run).
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/endpoints.h"
#include "api/generation_session.h"
#include "api/metering.h"
#include "api/responses.h"
#include "api/search_request.h"
#include "api/search_service.h"
#include "platform/time_text.h"
#include "search/date_text.h"

namespace tachyon::endpoints {

asio::awaitable<void> search(ServerContext& ctx, Caller& caller, const HttpRequest& req, ResponseWriter& writer) {
  const auto arrival = std::chrono::steady_clock::now();
  const std::optional<platform::AuthenticatedKey>& key = caller.key;
  Result<SearchRequest> request = parse_search_request(req.body, search::today());
  if (!request) co_return co_await refuse_generation(ctx, caller, req, kSearchUsageModel, request.error(), writer);
  if (!ctx.search) {
    const Error e = make_error(ErrorKind::Unavailable, "search is not enabled on this server");
    co_return co_await refuse_generation(ctx, caller, req, kSearchUsageModel, e, writer);
  }
  if (auto index = ctx.search->index(); !index)
    co_return co_await refuse_generation(ctx, caller, req, kSearchUsageModel, index.error(), writer);

  std::vector<search::SearchQuery> queries;
  for (const std::string& text : request->queries)
    queries.push_back(search::SearchQuery{text, request->filters, request->max_results});
  auto results = co_await ctx.search->run(std::move(queries));
  const int64_t total_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - arrival).count();
  if (!results) {
    platform::UsageRecord failed = refusal_usage_row(caller, req, kSearchUsageModel, http_status(results.error()));
    failed.total_ms = total_ms;
    co_await commit_refusal(ctx, std::move(failed));
    co_return co_await send_error(writer, results.error());
  }
  apply_token_limits(*results, request->max_tokens_per_page, request->max_tokens);
  const std::optional<std::string> server_time =
      request->display_server_time ? std::optional(platform::format_timestamp(platform::system_now_ms())) : std::nullopt;
  std::string body = search_response_json(new_response_id(""), *results, request->query_list, server_time);

  // The row is committed before the answer is sent, as for generations.
  platform::UsageRecord row = refusal_usage_row(caller, req, kSearchUsageModel, 200);
  row.search_queries = int64_t(request->queries.size());
  row.total_ms = total_ms;
  row.cost = platform::compute_cost(ctx.platform.prices.price(kSearchUsageModel), 0, 0);
  if (ctx.platform.keep_request_logs && !(key && key->no_retention))
    row.log = platform::RequestLog{row.request_id, row.key_id, row.model, row.endpoint, row.created_ms, 200,
                                   std::string(req.body), body};
  if (Status recorded = co_await commit_usage(ctx, std::move(row)); !recorded) {
    fmt::print(stderr, "usage not recorded for {}: {}\n", req.request_id, recorded.error().message);
    co_return co_await send_error(writer, make_error(ErrorKind::Internal, "the request's usage could not be recorded"));
  }
  HttpResponse response = HttpResponse::json(200, std::move(body));
  co_await writer.send(std::move(response));
}

}  // namespace tachyon::endpoints
