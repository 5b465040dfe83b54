#include "bench/search_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "search/date_text.h"
#include "search/search_eval.h"
#include "search/search_index.h"

namespace tachyon::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kVocabulary = 100'000;
constexpr size_t kPassagesPerPage = 4;

// A pronounceable pseudo-word for vocabulary rank `rank` (distinct for distinct ranks).
std::string pseudo_word(size_t rank) {
  static constexpr char kConsonants[] = "bcdfghjklmnprstvz";
  static constexpr char kVowels[] = "aeiou";
  std::string word;
  size_t r = rank + 17;
  do {
    word += kConsonants[r % 17];
    r /= 17;
    word += kVowels[r % 5];
    r /= 5;
  } while (r > 0);
  return word;
}

// Zipf(s = 1.07) over the vocabulary's ranks, as natural-language term frequencies go.
class ZipfWords {
 public:
  ZipfWords() : cdf_(kVocabulary) {
    double sum = 0;
    for (size_t i = 0; i < kVocabulary; ++i) cdf_[i] = (sum += 1.0 / std::pow(double(i + 1), 1.07));
    for (double& c : cdf_) c /= sum;
    for (size_t i = 0; i < kVocabulary; ++i) words_.push_back(pseudo_word(i));
  }
  size_t rank(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return size_t(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
  const std::string& word(size_t rank) const { return words_[std::min(rank, kVocabulary - 1)]; }

 private:
  std::vector<double> cdf_;
  std::vector<std::string> words_;
};

// Page `i` of the generated corpus: kPassagesPerPage paragraphs of 91..120 words (so that
// each is one passage). Deterministic in i.
search::Page synthetic_page(const ZipfWords& zipf, size_t i) {
  std::mt19937_64 rng(i * 0x9E3779B97F4A7C15ull + 1);
  search::Page page;
  page.url = fmt::format("https://synthetic{}.example/page/{}", i % 1000, i);
  page.title = fmt::format("{} {}", zipf.word(zipf.rank(rng) + 100), zipf.word(zipf.rank(rng) + 100));
  for (size_t p = 0; p < kPassagesPerPage; ++p) {
    if (p) page.text += "\n\n";
    const size_t n_words = 91 + rng() % 30;
    for (size_t w = 0; w < n_words; ++w) {
      if (w) page.text += ' ';
      page.text += zipf.word(zipf.rank(rng));
    }
    page.text += '.';
  }
  page.date = search::civil_from_days(int64_t(10000 + i % 9000));
  page.language = "en";
  return page;
}

// A query of 2-4 words of one generated passage, leaving out the 100 commonest words (the
// analogue of the stop words a real query's words are stripped of).
std::string synthetic_query(const ZipfWords& zipf, std::mt19937_64& rng) {
  const size_t n_words = 2 + rng() % 3;
  std::string q;
  for (size_t w = 0; w < n_words; ++w) {
    size_t r;
    do r = zipf.rank(rng);
    while (r < 100);
    q += (w ? " " : "") + zipf.word(r);
  }
  return q;
}

Result<int64_t> build_synthetic(const std::filesystem::path& dir, size_t n_passages, SearchBenchResult& result) {
  const auto file = search::index_file(dir);
  const size_t n_pages = (n_passages + kPassagesPerPage - 1) / kPassagesPerPage;
  if (std::filesystem::exists(file)) {
    auto existing = search::SearchIndex::open(file, search::SearchIndex::Mode::ReadOnly);
    if (!existing) return existing.error();
    auto stats = (*existing)->stats();
    if (!stats) return stats.error();
    if (stats->n_pages == int64_t(n_pages)) return stats->n_passages;
    std::filesystem::remove(file);
  }
  auto index = search::SearchIndex::open(file, search::SearchIndex::Mode::ReadWrite);
  if (!index) return index.error();
  const ZipfWords zipf;
  const Clock::time_point start = Clock::now();
  int64_t n_indexed = 0;
  std::vector<search::IndexedPage> batch;
  for (size_t i = 0; i < n_pages; ++i) {
    search::IndexedPage p = search::prepare_page(synthetic_page(zipf, i));
    n_indexed += int64_t(p.passages.size());
    batch.push_back(std::move(p));
    if (batch.size() == 2000 || i + 1 == n_pages) {
      if (Status s = (*index)->add(batch); !s) return s.error();
      batch.clear();
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "\rsynthetic corpus: %zu / %zu pages, %lld passages (%.0f passages/s)", i + 1, n_pages,
                   static_cast<long long>(n_indexed), double(n_indexed) / s);
    }
  }
  std::fputc('\n', stderr);
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  result.ingest_s = s;
  result.ingest_passages_per_s = double(n_indexed) / s;
  result.ingest_pages_per_s = double(n_pages) / s;
  return n_indexed;
}

// Runs `queries` round-robin over `n_clients` threads, n_total queries in all.
Result<SearchLatency> time_queries(search::SearchIndex& index, const std::vector<std::string>& queries, size_t n_total,
                                   int n_clients, int max_results) {
  std::vector<std::vector<double>> per_client(static_cast<size_t>(n_clients));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < n_clients; ++c)
    threads.emplace_back([&, c] {
      for (size_t i; (i = next.fetch_add(1)) < n_total;) {
        const Clock::time_point t0 = Clock::now();
        auto hits = index.search(search::SearchQuery{queries[i % queries.size()], {}, max_results});
        if (!hits) failed = true;
        per_client[size_t(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) return make_error(ErrorKind::Internal, "a benchmark query failed");
  std::vector<double> all;
  for (const auto& v : per_client) all.insert(all.end(), v.begin(), v.end());
  SearchLatency l;
  l.n_clients = n_clients;
  l.n_queries = all.size();
  l.ms = percentiles(all);
  l.queries_per_s = double(all.size()) / s;
  return l;
}

Status measure(const std::string& corpus, search::SearchIndex& index, const std::vector<std::string>& queries,
               const SearchBenchOptions& o, SearchBenchResult& result) {
  auto stats = index.stats();
  if (!stats) return stats.error();
  // Warm the page cache and the connection pool first.
  for (size_t i = 0; i < std::min<size_t>(queries.size(), 50); ++i)
    (void)index.search(search::SearchQuery{queries[i], {}, o.max_results});
  std::vector<int> client_counts = {1};
  if (o.n_threads > 1) client_counts.push_back(o.n_threads);
  for (int clients : client_counts) {
    auto l = time_queries(index, queries, o.n_queries, clients, o.max_results);
    if (!l) return l.error();
    l->corpus = corpus;
    l->n_passages = stats->n_passages;
    result.latency.push_back(*l);
  }
  return Status::success();
}

}  // namespace

Result<SearchBenchResult> run_search_bench(const SearchBenchOptions& o) {
  SearchBenchResult result;
  if (!o.default_data_dir.empty()) {
    auto set = search::load_eval_set(o.eval_set);
    if (!set) return set.error();
    std::vector<std::string> queries;
    for (const auto& q : *set) queries.push_back(q.query);
    auto index = search::SearchIndex::open(search::index_file(o.default_data_dir), search::SearchIndex::Mode::ReadOnly);
    if (!index) return index.error();
    if (Status s = measure("default corpus", **index, queries, o, result); !s) return s.error();
  }
  if (o.n_synthetic_passages > 0) {
    auto n = build_synthetic(o.synthetic_dir, o.n_synthetic_passages, result);
    if (!n) return n.error();
    auto index = search::SearchIndex::open(search::index_file(o.synthetic_dir), search::SearchIndex::Mode::ReadOnly);
    if (!index) return index.error();
    const ZipfWords zipf;
    std::mt19937_64 rng(42);
    std::vector<std::string> queries;
    for (int i = 0; i < 2000; ++i) queries.push_back(synthetic_query(zipf, rng));
    if (Status s = measure("generated", **index, queries, o, result); !s) return s.error();
  }
  return result;
}

std::string search_bench_markdown(const SearchBenchOptions& o, const SearchBenchResult& r) {
  std::string out;
  if (r.ingest_passages_per_s)
    out += fmt::format("Ingest of the generated corpus: {:.0f} passages/s ({:.0f} pages/s), {:.0f} s in all\n\n",
                       *r.ingest_passages_per_s, *r.ingest_pages_per_s, *r.ingest_s);
  out += "| corpus | passages | clients | queries | p50 ms | p90 ms | p99 ms | queries/s |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const SearchLatency& l : r.latency)
    out += fmt::format("| {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.0f} |\n", l.corpus, l.n_passages, l.n_clients,
                       l.n_queries, l.ms.p50, l.ms.p90, l.ms.p99, l.queries_per_s);
  return out;
}

nlohmann::json search_bench_json(const SearchBenchOptions& o, const SearchBenchResult& r) {
  nlohmann::json out;
  out["options"] = {{"default_data_dir", o.default_data_dir},
                    {"n_synthetic_passages", o.n_synthetic_passages},
                    {"n_queries", o.n_queries},
                    {"n_threads", o.n_threads},
                    {"max_results", o.max_results}};
  if (r.ingest_passages_per_s)
    out["ingest"] = {{"passages_per_s", *r.ingest_passages_per_s},
                     {"pages_per_s", *r.ingest_pages_per_s},
                     {"seconds", *r.ingest_s}};
  nlohmann::json latency = nlohmann::json::array();
  for (const SearchLatency& l : r.latency)
    latency.push_back({{"corpus", l.corpus},
                       {"passages", l.n_passages},
                       {"clients", l.n_clients},
                       {"queries", l.n_queries},
                       {"p50_ms", l.ms.p50},
                       {"p90_ms", l.ms.p90},
                       {"p99_ms", l.ms.p99},
                       {"queries_per_s", l.queries_per_s}});
  out["latency"] = std::move(latency);
  return out;
}

}  // namespace tachyon::bench
