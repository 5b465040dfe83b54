// `tachyon search query|eval`: asks the data directory's index directly, and measures its
// ranking against a labelled query set.
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/search_request.h"
#include "app/commands.h"
#include "app/local_embedder.h"
#include "platform/sqlite_store.h"
#include "search/search_eval.h"
#include "search/search_index.h"

namespace tachyon::app {
namespace {

struct SearchOptions {
  std::string data_dir = platform::kDefaultDataDir;
  std::string query;
  std::string eval_set = std::string(TACHYON_SOURCE_DIR) + "/tests/data/search/default_corpus_eval.json";
  int max_results = 10;
  bool json = false;
  bool verbose = false;
  std::string retrieval = "bm25";
  std::string model;  // embeds the queries of dense and hybrid retrieval
  int threads = 0;
};

// The index with the retrieval the options ask for; the embedding model loaded when it needs one.
struct OpenedRetriever {
  LocalEmbedder embedder;
  std::unique_ptr<search::Retriever> retriever;
};

OpenedRetriever open_retriever_or_fail(const SearchOptions& o) {
  auto retrieval = search::parse_retrieval(o.retrieval);
  if (!retrieval) fail(retrieval.error().message);
  auto index = search::SearchIndex::open(search::index_file(o.data_dir), search::SearchIndex::Mode::ReadOnly);
  if (!index) fail(index.error().message);
  OpenedRetriever opened;
  search::QueryEmbedder embed;
  if (*retrieval != search::Retrieval::bm25) {
    if (o.model.empty()) fail(fmt::format("--retrieval {} needs --model: the embedding model that made the index's vectors", o.retrieval));
    opened.embedder = open_embedder_or_fail(o.model, o.threads);
    embed = query_embedder(*opened.embedder.engine);
  }
  opened.retriever = std::make_unique<search::Retriever>(std::move(*index), *retrieval, std::move(embed));
  return opened;
}

// One line of JSON: the query and its hits as /search gives them, with their scores; snippets
// whole, as grounded chat receives them.
void print_json_hits(const std::string& query, const std::vector<search::SearchHit>& hits) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const search::SearchHit& h : hits) {
    nlohmann::ordered_json hit = search_hit_json(h);
    hit["score"] = h.score;
    results.push_back(std::move(hit));
  }
  fmt::print("{}\n", dump_json({{"query", query}, {"results", std::move(results)}}));
}

void run_query(const SearchOptions& o) {
  OpenedRetriever opened = open_retriever_or_fail(o);
  std::vector<std::string> queries = {o.query};
  if (o.query == "-") {  // one query a line on standard input
    queries.clear();
    for (std::string line; std::getline(std::cin, line);)
      if (!line.empty()) queries.push_back(line);
  }
  for (const std::string& query : queries) {
    auto hits = opened.retriever->retrieve(search::SearchQuery{query, {}, o.max_results});
    if (!hits) fail(fmt::format("{}: {}", query, hits.error().message));
    if (o.json) {
      print_json_hits(query, *hits);
      continue;
    }
    for (size_t i = 0; i < hits->size(); ++i) {
      const search::SearchHit& h = (*hits)[i];
      fmt::print("{:>2}. {:.2f}  {}\n    {}\n    {:.160}\n", i + 1, h.score, h.title, h.url, h.snippet);
    }
  }
}

void run_eval(const SearchOptions& o) {
  auto set = search::load_eval_set(o.eval_set);
  if (!set) fail(fmt::format("{}: {}", o.eval_set, set.error().message));
  OpenedRetriever opened = open_retriever_or_fail(o);
  auto report = search::evaluate(*opened.retriever, *set, 10);
  if (!report) fail(report.error().message);
  if (o.json) {
    nlohmann::ordered_json j = {{"retrieval", o.retrieval},
                                {"queries", set->size()},
                                {"ndcg@10", report->mean_ndcg},
                                {"mrr", report->mrr},
                                {"recall@10", report->mean_recall}};
    fmt::print("{}\n", j.dump());
    return;
  }
  if (o.verbose) {
    for (size_t i = 0; i < report->queries.size(); ++i) {
      const search::QueryScore& q = report->queries[i];
      fmt::print("{:.2f} {:.2f} {:.2f}  {}\n", q.ndcg, q.reciprocal_rank, q.recall, q.query);
      if (q.reciprocal_rank < 1.0) {
        fmt::print("      want {}\n", fmt::join((*set)[i].relevant_urls, " "));
        for (size_t k = 0; k < std::min<size_t>(3, q.top_urls.size()); ++k) fmt::print("      got  {}\n", q.top_urls[k]);
      }
    }
  }
  fmt::print("{} queries from {}, retrieval {}\nnDCG@10   {:.3f}\nMRR       {:.3f}\nrecall@10 {:.3f}\n", set->size(), o.eval_set,
             o.retrieval, report->mean_ndcg, report->mrr, report->mean_recall);
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("search", "Query the search index directly, or measure its ranking");
  cmd->require_subcommand(1);
  auto o = std::make_shared<SearchOptions>();

  auto* query = cmd->add_subcommand("query", "Print the best pages for a query");
  query->add_option("--data-dir", o->data_dir, "Folder holding the index")->capture_default_str();
  query->add_option("-n,--max-results", o->max_results, "Pages to print")->capture_default_str();
  query->add_option("query", o->query, "The query; - reads one query a line from standard input")->required();
  query->add_flag("--json", o->json, "Print each query's hits as one line of JSON, snippets whole");
  auto retrieval = [o](CLI::App* sub) {
    sub->add_option("--retrieval", o->retrieval, "bm25 | dense | hybrid (BM25 and dense fused by reciprocal rank)")
        ->capture_default_str();
    sub->add_option("-m,--model", o->model, "For dense and hybrid: the embedding model that made the index's vectors");
    sub->add_option("-t,--threads", o->threads, "Compute threads of the embedding model (0: all cores)");
  };
  retrieval(query);
  query->callback([o] { run_query(*o); });

  auto* eval = cmd->add_subcommand("eval", "nDCG@10, MRR and recall@10 over a labelled query set");
  eval->add_option("--data-dir", o->data_dir, "Folder holding the index")->capture_default_str();
  eval->add_option("--set", o->eval_set, "The labelled set: {\"queries\": [{\"query\", \"relevant\": [URL...]}]}")
      ->capture_default_str();
  eval->add_flag("--json", o->json, "Print JSON");
  eval->add_flag("-v,--verbose", o->verbose, "Print every query's scores, and what came first when it missed");
  retrieval(eval);
  eval->callback([o] { run_eval(*o); });
}

}  // namespace tachyon::app
