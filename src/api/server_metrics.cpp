#include "api/server_metrics.h"

#include <sstream>

#include <prometheus/text_serializer.h>

namespace tachyon {
namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
const prometheus::Histogram::BucketBoundaries kTokenLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5};

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter().Name("tachyon_http_requests_total").Help("HTTP requests by endpoint and status").Register(*registry_)),
      queue_time_(prometheus::BuildHistogram().Name("tachyon_request_queue_time_seconds").Help("Time from arrival to first scheduling").Register(*registry_)),
      ttft_(prometheus::BuildHistogram().Name("tachyon_time_to_first_token_seconds").Help("Time from arrival to the first generated token").Register(*registry_)),
      inter_token_(prometheus::BuildHistogram().Name("tachyon_inter_token_latency_seconds").Help("Time between consecutive generated tokens of a request").Register(*registry_)),
      e2e_(prometheus::BuildHistogram().Name("tachyon_e2e_request_latency_seconds").Help("Time from arrival to the last token").Register(*registry_)),
      prompt_tokens_(prometheus::BuildCounter().Name("tachyon_prompt_tokens_total").Help("Prompt tokens processed").Register(*registry_)),
      generated_tokens_(prometheus::BuildCounter().Name("tachyon_generation_tokens_total").Help("Tokens generated").Register(*registry_)),
      rate_limit_backend_errors_(prometheus::BuildCounter().Name("tachyon_rate_limit_backend_errors_total").Help("Rate-limiter calls its backend (Redis) did not answer, by operation and what the request got instead").Register(*registry_)),
      rate_limit_backend_up_(prometheus::BuildGauge().Name("tachyon_rate_limit_backend_up").Help("1 when the rate limiter's backend answered at scrape time, else 0").Register(*registry_)),
      running_(prometheus::BuildGauge().Name("tachyon_num_requests_running").Help("Requests in the running batch").Register(*registry_)),
      waiting_(prometheus::BuildGauge().Name("tachyon_num_requests_waiting").Help("Requests waiting to be scheduled").Register(*registry_)),
      kv_usage_(prometheus::BuildGauge().Name("tachyon_kv_cache_usage_ratio").Help("Fraction of KV blocks held by live requests").Register(*registry_)),
      kv_blocks_free_(prometheus::BuildGauge().Name("tachyon_kv_cache_free_blocks").Help("KV blocks not held by live requests").Register(*registry_)),
      prefix_hit_rate_(prometheus::BuildGauge().Name("tachyon_prefix_cache_hit_rate").Help("Prompt tokens found in the prefix cache / tokens looked up").Register(*registry_)),
      preemptions_(prometheus::BuildGauge().Name("tachyon_num_preemptions").Help("Requests preempted (and later recomputed) so far").Register(*registry_)),
      cancellations_(prometheus::BuildGauge().Name("tachyon_num_cancelled_requests").Help("Requests cancelled because their client went away, so far").Register(*registry_)),
      draft_tokens_(prometheus::BuildGauge().Name("tachyon_spec_decode_num_draft_tokens").Help("Speculative draft tokens verified so far").Register(*registry_)),
      accepted_tokens_(prometheus::BuildGauge().Name("tachyon_spec_decode_num_accepted_tokens").Help("Speculative draft tokens accepted so far").Register(*registry_)) {}

void ServerMetrics::count_request(const std::string& endpoint, int status) {
  requests_.Add({{"endpoint", endpoint}, {"status", std::to_string(status)}}).Increment();
}

void ServerMetrics::observe_queue_time(const std::string& model, double s) {
  queue_time_.Add({{"model", model}}, kLatencyBuckets).Observe(s);
}
void ServerMetrics::observe_ttft(const std::string& model, double s) {
  ttft_.Add({{"model", model}}, kLatencyBuckets).Observe(s);
}
void ServerMetrics::observe_inter_token(const std::string& model, double s) {
  inter_token_.Add({{"model", model}}, kTokenLatencyBuckets).Observe(s);
}
void ServerMetrics::observe_e2e(const std::string& model, double s) {
  e2e_.Add({{"model", model}}, kLatencyBuckets).Observe(s);
}

void ServerMetrics::add_tokens(const std::string& model, int64_t prompt, int64_t generated) {
  prompt_tokens_.Add({{"model", model}}).Increment(double(prompt));
  generated_tokens_.Add({{"model", model}}).Increment(double(generated));
}

void ServerMetrics::count_rate_limit_backend_error(const std::string& operation, const std::string& outcome) {
  rate_limit_backend_errors_.Add({{"operation", operation}, {"outcome", outcome}}).Increment();
}

void ServerMetrics::set_rate_limit_backend_up(bool up) { rate_limit_backend_up_.Add({}).Set(up ? 1.0 : 0.0); }

std::string ServerMetrics::scrape(const std::vector<std::pair<std::string, EngineStats>>& engines) {
  for (const auto& [model, s] : engines) {
    const prometheus::Labels labels{{"model", model}};
    running_.Add(labels).Set(double(s.running));
    waiting_.Add(labels).Set(double(s.waiting));
    kv_usage_.Add(labels).Set(s.kv_usage);
    kv_blocks_free_.Add(labels).Set(double(s.kv_blocks_free));
    prefix_hit_rate_.Add(labels).Set(s.prefix_queries ? double(s.prefix_hits) / double(s.prefix_queries) : 0.0);
    preemptions_.Add(labels).Set(double(s.preemptions));
    cancellations_.Add(labels).Set(double(s.cancellations));
    draft_tokens_.Add(labels).Set(double(s.draft_tokens));
    accepted_tokens_.Add(labels).Set(double(s.accepted_tokens));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace tachyon
