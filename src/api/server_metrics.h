#pragma once
// The server's Prometheus metrics (prometheus-cpp registry, text exposition at GET /metrics).
// Counters and histograms are updated from connection coroutines (any I/O thread); the gauges
// that mirror engine state are refreshed from EngineStats at scrape time. Thread-safe.
#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "engine/engine.h"

namespace tachyon {

class ServerMetrics {
 public:
  ServerMetrics();

  void count_request(const std::string& endpoint, int status);
  void observe_queue_time(const std::string& model, double seconds);
  void observe_ttft(const std::string& model, double seconds);
  void observe_inter_token(const std::string& model, double seconds);
  void observe_e2e(const std::string& model, double seconds);
  void add_tokens(const std::string& model, int64_t prompt_tokens, int64_t generated_tokens);
  // A rate-limiter call its backend did not answer: `operation` admit | settle | peek, `outcome`
  // what the request got instead (refused, admitted_unmetered, not_settled, no_headers).
  void count_rate_limit_backend_error(const std::string& operation, const std::string& outcome);
  // Whether the rate limiter's backend answered when /metrics was asked.
  void set_rate_limit_backend_up(bool up);

  // Text exposition; `engines` are (model name, stats) read just before.
  std::string scrape(const std::vector<std::pair<std::string, EngineStats>>& engines);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& queue_time_;
  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& inter_token_;
  prometheus::Family<prometheus::Histogram>& e2e_;
  prometheus::Family<prometheus::Counter>& prompt_tokens_;
  prometheus::Family<prometheus::Counter>& generated_tokens_;
  prometheus::Family<prometheus::Counter>& rate_limit_backend_errors_;
  prometheus::Family<prometheus::Gauge>& rate_limit_backend_up_;
  prometheus::Family<prometheus::Gauge>& running_;
  prometheus::Family<prometheus::Gauge>& waiting_;
  prometheus::Family<prometheus::Gauge>& kv_usage_;
  prometheus::Family<prometheus::Gauge>& kv_blocks_free_;
  prometheus::Family<prometheus::Gauge>& prefix_hit_rate_;
  prometheus::Family<prometheus::Gauge>& preemptions_;
  prometheus::Family<prometheus::Gauge>& cancellations_;
  prometheus::Family<prometheus::Gauge>& draft_tokens_;
  prometheus::Family<prometheus::Gauge>& accepted_tokens_;
};

}  // namespace tachyon
