#include "bench/serve_bench.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace tachyon::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxDistinctErrors = 5;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Drives the requests of one measurement on a private io_context.
class LoadRunner {
 public:
  LoadRunner(const HttpTarget& target, const ClientOptions& client, const std::vector<RequestSpec>& requests)
      : target_(target), client_(client), requests_(requests) {}

  // Request i is sent at start + arrivals[i].
  std::vector<RequestRecord> open_loop(const std::vector<double>& arrivals) {
    records_.assign(arrivals.size(), {});
    start_ = Clock::now();
    asio::co_spawn(io_, dispatch(arrivals), asio::detached);
    io_.run();
    return std::move(records_);
  }

  // n_clients send back to back until n_requests were sent or duration_s (when > 0) passed.
  std::vector<RequestRecord> closed_loop(int32_t n_clients, int32_t n_requests, double duration_s) {
    records_.assign(size_t(n_requests), {});
    start_ = Clock::now();
    next_ = 0;
    for (int32_t c = 0; c < n_clients; ++c) asio::co_spawn(io_, client_loop(duration_s), asio::detached);
    io_.run();
    records_.resize(size_t(next_));
    return std::move(records_);
  }

  Clock::time_point start() const { return start_; }

 private:
  void prepare(size_t i) {
    RequestRecord& r = records_[i];
    const RequestSpec& spec = requests_[i % requests_.size()];
    r.index = int32_t(i);
    r.requested_prompt_tokens = spec.prompt_tokens;
    r.requested_output_tokens = spec.output_tokens;
    r.sent_at_s = seconds_between(start_, Clock::now());
  }

  asio::awaitable<void> send(size_t i) {
    prepare(i);
    try {
      co_await stream_completion(target_, client_, requests_[i % requests_.size()], records_[i]);
    } catch (const std::exception& e) {  // allocation failure and the like: record, keep going
      records_[i].ok = false;
      records_[i].error = e.what();
    }
  }

  asio::awaitable<void> dispatch(std::vector<double> arrivals) {
    asio::steady_timer timer(io_);
    for (size_t i = 0; i < arrivals.size(); ++i) {
      timer.expires_at(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arrivals[i])));
      co_await timer.async_wait(asio::use_awaitable);
      asio::co_spawn(io_, send(i), asio::detached);
    }
  }

  asio::awaitable<void> client_loop(double duration_s) {
    while (next_ < int32_t(records_.size())) {
      if (duration_s > 0 && seconds_between(start_, Clock::now()) >= duration_s) break;
      co_await send(size_t(next_++));
    }
  }

  asio::io_context io_;
  const HttpTarget& target_;
  const ClientOptions& client_;
  const std::vector<RequestSpec>& requests_;
  std::vector<RequestRecord> records_;
  Clock::time_point start_;
  int32_t next_ = 0;
};

double wall_seconds(const std::vector<RequestRecord>& records) {
  double end = 0;
  for (const auto& r : records) end = std::max(end, r.sent_at_s + r.e2e_s);
  const double first = records.empty() ? 0 : records.front().sent_at_s;
  return end - first;
}

std::string format_rate(double rate) { return fmt::format("{:g}", rate); }

}  // namespace

std::string_view scenario_name(Scenario scenario) {
  switch (scenario) {
    case Scenario::Single: return "single";
    case Scenario::Server: return "server";
    case Scenario::Concurrency: return "concurrency";
  }
  return "?";
}

std::string load_label(const RunPoint& p) {
  switch (p.scenario) {
    case Scenario::Single: return "single";
    case Scenario::Server: return fmt::format("server @ {} req/s", format_rate(p.rate));
    case Scenario::Concurrency: return fmt::format("concurrency {}", p.concurrency);
  }
  return "?";
}

RunSummary summarize(const RunPoint& point) {
  RunSummary s;
  std::vector<double> ttft, itl, decode, e2e;
  for (const auto& r : point.records) {
    if (!r.ok) {
      ++s.n_failed;
      if (s.errors.size() < kMaxDistinctErrors && std::find(s.errors.begin(), s.errors.end(), r.error) == s.errors.end())
        s.errors.push_back(r.error);
      continue;
    }
    ++s.n_ok;
    s.prompt_tokens += r.prompt_tokens;
    s.output_tokens += r.completion_tokens;
    if (!r.chunk_times_s.empty()) ttft.push_back(r.ttft_s());
    for (size_t i = 1; i < r.chunk_times_s.size(); ++i) itl.push_back(r.chunk_times_s[i] - r.chunk_times_s[i - 1]);
    if (r.decode_tps() > 0) decode.push_back(r.decode_tps());
    e2e.push_back(r.e2e_s);
  }
  s.ttft_s = percentiles(ttft);
  s.itl_s = percentiles(itl);
  s.decode_tps = percentiles(decode);
  s.e2e_s = percentiles(e2e);
  if (point.wall_s > 0) {
    s.request_throughput = s.n_ok / point.wall_s;
    s.output_throughput = double(s.output_tokens) / point.wall_s;
  }
  return s;
}

std::vector<BestThroughput> best_throughputs(const std::vector<RunPoint>& points,
                                             const std::vector<double>& min_stream_tps) {
  std::vector<std::string> targets;
  for (const auto& p : points)
    if (std::find(targets.begin(), targets.end(), p.target) == targets.end()) targets.push_back(p.target);
  std::vector<BestThroughput> out;
  for (const auto& target : targets) {
    for (double min_tps : min_stream_tps) {
      BestThroughput best{target, min_tps, std::nullopt, ""};
      for (const auto& p : points) {
        if (p.target != target) continue;
        const RunSummary s = summarize(p);
        if (s.n_ok == 0 || s.decode_tps.p50 < min_tps) continue;
        if (!best.output_throughput || s.output_throughput > *best.output_throughput) {
          best.output_throughput = s.output_throughput;
          best.at = load_label(p);
        }
      }
      out.push_back(std::move(best));
    }
  }
  return out;
}

Result<std::vector<RunPoint>> run_serve_bench(const ServeBenchOptions& o) {
  if (o.base_urls.empty()) return make_error("at least one --base-url is required");
  if (o.requests < 1) return make_error("requests must be at least 1");
  if (o.server && (o.rates.empty() || std::any_of(o.rates.begin(), o.rates.end(), [](double r) { return r <= 0; })))
    return make_error("rates must be positive");
  for (int32_t c : o.concurrency)
    if (c < 1) return make_error("concurrency must be at least 1, got {}", c);
  std::vector<HttpTarget> targets;
  for (const auto& url : o.base_urls) {
    auto t = parse_base_url(url);
    if (!t) return t.error();
    targets.push_back(std::move(*t));
  }

  // Arrival times per rate, shared by every target.
  std::vector<std::vector<double>> arrivals;
  size_t n_specs = size_t(o.requests);
  if (o.server) {
    for (size_t i = 0; i < o.rates.size(); ++i) {
      arrivals.push_back(poisson_arrivals(o.rates[i], o.requests, o.duration_s, o.seed + 7919 * (i + 1)));
      n_specs = std::max(n_specs, arrivals.back().size());
    }
  }
  // Each load point draws its own synthetic requests from the same distribution: replaying one
  // point's prompts at the next would turn them into prefix-cache hits on servers that have a
  // prefix cache. Every target sees the same prompts at the same point. A dataset is replayed
  // as is at every point.
  std::vector<RequestSpec> dataset;
  if (!o.dataset.empty()) {
    auto loaded = load_dataset(o.dataset);
    if (!loaded) return loaded.error();
    dataset = std::move(*loaded);
  }
  const size_t n_points = (o.single ? 1 : 0) + (o.server ? o.rates.size() : 0) + o.concurrency.size();
  std::vector<std::vector<RequestSpec>> point_specs;
  for (size_t i = 0; i < n_points; ++i) {
    point_specs.push_back(!o.dataset.empty() ? dataset
                                             : synthetic_requests(o.lengths, int32_t(n_specs), o.seed + 104729 * uint64_t(i)));
  }

  std::vector<RunPoint> points;
  auto record = [&](RunPoint point) {
    point.wall_s = wall_seconds(point.records);
    if (o.progress) {
      const RunSummary s = summarize(point);
      o.progress(fmt::format("{} | {} | {} ok, {} failed | TTFT p50 {:.3f} s | decode p50 {:.1f} tok/s | {:.1f} tok/s total",
                             point.target, load_label(point), s.n_ok, s.n_failed, s.ttft_s.p50, s.decode_tps.p50,
                             s.output_throughput));
    }
    points.push_back(std::move(point));
  };
  for (const auto& target : targets) {
    ClientOptions client = o.client;
    if (client.model.empty()) {
      auto model = fetch_first_model_id(target, client.api_key, std::min(client.timeout, std::chrono::milliseconds(30'000)));
      if (!model) return model.error();
      client.model = *model;
    }
    size_t point = 0;
    if (o.single) {
      LoadRunner runner(target, client, point_specs[point++]);
      record({target.base_url, Scenario::Single, 0, 1, 0, runner.closed_loop(1, o.requests, o.duration_s)});
    }
    for (size_t i = 0; o.server && i < o.rates.size(); ++i) {
      LoadRunner runner(target, client, point_specs[point++]);
      record({target.base_url, Scenario::Server, o.rates[i], 0, 0, runner.open_loop(arrivals[i])});
    }
    for (int32_t c : o.concurrency) {
      LoadRunner runner(target, client, point_specs[point++]);
      record({target.base_url, Scenario::Concurrency, 0, c, 0, runner.closed_loop(c, o.requests, o.duration_s)});
    }
  }
  return points;
}

}  // namespace tachyon::bench
