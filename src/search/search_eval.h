#pragma once
// Measuring ranking quality: a labelled set of queries, each with the URLs a person judged
// relevant, run against an index and scored with nDCG@k (binary gains), MRR and recall@k.
#include <filesystem>
#include <string>
#include <vector>

#include "search/retriever.h"
#include "util/result.h"

namespace tachyon::search {

struct LabelledQuery {
  std::string query;
  std::vector<std::string> relevant_urls;
};

// {"queries": [{"query": "...", "relevant": ["url", ...]}, ...]}; InvalidArgument naming the
// entry at fault.
Result<std::vector<LabelledQuery>> parse_eval_set(const std::string& json);
Result<std::vector<LabelledQuery>> load_eval_set(const std::filesystem::path& file);

// Scores of one ranked list of URLs against its relevant set.
double ndcg_at(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant, size_t k);
double reciprocal_rank(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant);
double recall_at(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant, size_t k);

struct QueryScore {
  std::string query;
  double ndcg = 0, reciprocal_rank = 0, recall = 0;
  std::vector<std::string> top_urls;  // what the index returned, best first
};

struct EvalReport {
  double mean_ndcg = 0, mrr = 0, mean_recall = 0;  // means over the queries
  size_t k = 10;
  std::vector<QueryScore> queries;
};

// Runs every query (max_results k) through the retriever and averages the scores.
Result<EvalReport> evaluate(Retriever& retriever, const std::vector<LabelledQuery>& set, size_t k = 10);

}  // namespace tachyon::search
