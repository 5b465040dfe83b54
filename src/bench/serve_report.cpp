#include "bench/serve_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/svg_chart.h"

namespace tachyon::bench {

using nlohmann::json;

namespace {

json percentiles_json(const Percentiles& p) { return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}}; }

json request_json(const RequestRecord& r) {
  json j = {{"index", r.index},
            {"ok", r.ok},
            {"sent_at_s", r.sent_at_s},
            {"requested_prompt_tokens", r.requested_prompt_tokens},
            {"requested_output_tokens", r.requested_output_tokens},
            {"prompt_tokens", r.prompt_tokens},
            {"completion_tokens", r.completion_tokens},
            {"usage_reported", r.usage_reported},
            {"ttft_s", r.ttft_s()},
            {"decode_tps", r.decode_tps()},
            {"e2e_s", r.e2e_s},
            {"n_chunks", r.chunk_times_s.size()}};
  if (!r.ok) j["error"] = r.error;
  return j;
}

std::string triple(const Percentiles& p, double scale, int digits) {
  return fmt::format("{:.{}f} / {:.{}f} / {:.{}f}", p.p50 * scale, digits, p.p90 * scale, digits, p.p99 * scale, digits);
}

LineChart chart_by(const std::vector<RunPoint>& points, Scenario scenario, const std::string& title,
                   const std::string& x_label, const std::string& y_label, double (*x_of)(const RunPoint&),
                   double (*y_of)(const RunSummary&)) {
  LineChart chart{title, x_label, y_label, {}};
  for (const auto& p : points) {
    if (p.scenario != scenario) continue;
    auto it = std::find_if(chart.series.begin(), chart.series.end(), [&](const auto& s) { return s.name == p.target; });
    if (it == chart.series.end()) it = chart.series.insert(chart.series.end(), ChartSeries{p.target, {}});
    it->points.emplace_back(x_of(p), y_of(summarize(p)));
  }
  return chart;
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return make_error(ErrorKind::Internal, "cannot write {}", path.string());
  return Status::success();
}

}  // namespace

json serve_report_json(const ServeBenchOptions& o, const std::vector<RunPoint>& points) {
  json runs = json::array();
  for (const auto& p : points) {
    const RunSummary s = summarize(p);
    json requests = json::array();
    for (const auto& r : p.records) requests.push_back(request_json(r));
    runs.push_back({{"target", p.target},
                    {"scenario", scenario_name(p.scenario)},
                    {"load", load_label(p)},
                    {"rate", p.rate},
                    {"concurrency", p.concurrency},
                    {"wall_s", p.wall_s},
                    {"requests_ok", s.n_ok},
                    {"requests_failed", s.n_failed},
                    {"prompt_tokens", s.prompt_tokens},
                    {"output_tokens", s.output_tokens},
                    {"ttft_s", percentiles_json(s.ttft_s)},
                    {"itl_s", percentiles_json(s.itl_s)},
                    {"decode_tps", percentiles_json(s.decode_tps)},
                    {"e2e_s", percentiles_json(s.e2e_s)},
                    {"request_throughput", s.request_throughput},
                    {"output_throughput", s.output_throughput},
                    {"errors", s.errors},
                    {"requests", std::move(requests)}});
  }
  json best = json::array();
  for (const auto& b : best_throughputs(points, o.min_stream_tps))
    best.push_back({{"target", b.target},
                    {"min_stream_tps", b.min_stream_tps},
                    {"output_throughput", b.output_throughput ? json(*b.output_throughput) : json(nullptr)},
                    {"at", b.at}});
  const json config = {
      {"base_urls", o.base_urls},
      {"model", o.client.model},
      {"endpoint", o.client.endpoint == Endpoint::Chat ? "chat" : "completions"},
      {"rates", o.server ? json(o.rates) : json::array()},
      {"concurrency", o.concurrency},
      {"requests", o.requests},
      {"duration_s", o.duration_s},
      {"dataset", o.dataset},
      {"prompt_tokens", o.lengths.mean_prompt_tokens},
      {"output_tokens", o.lengths.mean_output_tokens},
      {"length_scale", o.lengths.length_scale},
      {"max_context", o.lengths.max_context},
      {"seed", o.seed},
  };
  return {{"config", config}, {"runs", std::move(runs)}, {"best_throughput", std::move(best)}};
}

std::string serve_report_markdown(const ServeBenchOptions& o, const std::vector<RunPoint>& points) {
  std::string md =
      "| target | load | ok / failed | TTFT s p50 / p90 / p99 | ITL ms p50 / p90 / p99 | decode tok/s p50 / p90 / p99 "
      "| E2E s p50 / p90 / p99 | req/s | output tok/s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& p : points) {
    const RunSummary s = summarize(p);
    md += fmt::format("| {} | {} | {} / {} | {} | {} | {} | {} | {:.3f} | {:.1f} |\n", p.target, load_label(p), s.n_ok,
                      s.n_failed, triple(s.ttft_s, 1, 3), triple(s.itl_s, 1000, 1), triple(s.decode_tps, 1, 1),
                      triple(s.e2e_s, 1, 2), s.request_throughput, s.output_throughput);
  }
  const auto best = best_throughputs(points, o.min_stream_tps);
  if (!best.empty()) {
    md += "\nHighest output throughput while the median stream decodes at least N tok/s:\n\n";
    md += "| target | N tok/s | output tok/s | reached at |\n|---|---:|---:|---|\n";
    for (const auto& b : best)
      md += fmt::format("| {} | {:g} | {} | {} |\n", b.target, b.min_stream_tps,
                        b.output_throughput ? fmt::format("{:.1f}", *b.output_throughput) : "not reached",
                        b.output_throughput ? b.at : "-");
  }
  for (const auto& p : points) {
    const RunSummary s = summarize(p);
    for (const auto& e : s.errors) md += fmt::format("\nerror ({} | {}): {}\n", p.target, load_label(p), e);
  }
  return md;
}

Status write_serve_report(const ServeBenchOptions& o, const std::vector<RunPoint>& points, const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::Internal, "cannot create {}: {}", out_dir, ec.message());
  if (Status s = write_text(dir / "results.json", serve_report_json(o, points).dump(2) + "\n"); !s) return s;
  if (Status s = write_text(dir / "results.md", serve_report_markdown(o, points)); !s) return s;

  auto rate = [](const RunPoint& p) { return p.rate; };
  auto clients = [](const RunPoint& p) { return double(p.concurrency); };
  auto throughput = [](const RunSummary& s) { return s.output_throughput; };
  auto ttft = [](const RunSummary& s) { return s.ttft_s.p50; };
  const bool has_server = std::any_of(points.begin(), points.end(), [](const auto& p) { return p.scenario == Scenario::Server; });
  const bool has_closed = std::any_of(points.begin(), points.end(), [](const auto& p) { return p.scenario == Scenario::Concurrency; });
  if (has_server) {
    const auto tput = chart_by(points, Scenario::Server, "Output throughput vs request rate", "request rate (req/s)",
                               "output tokens/s", rate, throughput);
    if (Status s = write_text(dir / "throughput_vs_rate.svg", render_svg(tput)); !s) return s;
    const auto t = chart_by(points, Scenario::Server, "Time to first token (p50) vs request rate",
                            "request rate (req/s)", "TTFT p50 (s)", rate, ttft);
    if (Status s = write_text(dir / "ttft_vs_rate.svg", render_svg(t)); !s) return s;
  }
  if (has_closed) {
    const auto c = chart_by(points, Scenario::Concurrency, "Output throughput vs concurrent clients", "clients",
                            "output tokens/s", clients, throughput);
    if (Status s = write_text(dir / "throughput_vs_concurrency.svg", render_svg(c)); !s) return s;
  }
  return Status::success();
}

}  // namespace tachyon::bench
