#include "search/search_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tachyon::search {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Result<std::vector<LabelledQuery>> parse_eval_set(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("queries") || !json["queries"].is_array())
    return make_error("an evaluation set is {{\"queries\": [{{\"query\", \"relevant\"}}, ...]}}");
  std::vector<LabelledQuery> set;
  for (size_t i = 0; i < json["queries"].size(); ++i) {
    const nlohmann::json& q = json["queries"][i];
    if (!q.is_object() || !q.contains("query") || !q["query"].is_string() || !q.contains("relevant") ||
        !q["relevant"].is_array() || q["relevant"].empty())
      return make_error("queries[{}]: needs a \"query\" string and a non-empty \"relevant\" list", i);
    LabelledQuery labelled{q["query"].get<std::string>(), {}};
    for (const nlohmann::json& url : q["relevant"]) {
      if (!url.is_string()) return make_error("queries[{}].relevant: URLs are strings", i);
      labelled.relevant_urls.push_back(url.get<std::string>());
    }
    set.push_back(std::move(labelled));
  }
  return set;
}

Result<std::vector<LabelledQuery>> load_eval_set(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error("cannot read {}", file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_eval_set(buffer.str());
}

double ndcg_at(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant, size_t k) {
  double dcg = 0, ideal = 0;
  for (size_t i = 0; i < std::min(k, ranked.size()); ++i)
    if (contains(relevant, ranked[i])) dcg += 1.0 / std::log2(double(i) + 2.0);
  for (size_t i = 0; i < std::min(k, relevant.size()); ++i) ideal += 1.0 / std::log2(double(i) + 2.0);
  return ideal > 0 ? dcg / ideal : 0;
}

double reciprocal_rank(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant) {
  for (size_t i = 0; i < ranked.size(); ++i)
    if (contains(relevant, ranked[i])) return 1.0 / double(i + 1);
  return 0;
}

double recall_at(const std::vector<std::string>& ranked, const std::vector<std::string>& relevant, size_t k) {
  if (relevant.empty()) return 0;
  size_t found = 0;
  for (const std::string& url : relevant)
    if (std::find(ranked.begin(), ranked.begin() + std::ptrdiff_t(std::min(k, ranked.size())), url) !=
        ranked.begin() + std::ptrdiff_t(std::min(k, ranked.size())))
      ++found;
  return double(found) / double(relevant.size());
}

Result<EvalReport> evaluate(Retriever& retriever, const std::vector<LabelledQuery>& set, size_t k) {
  EvalReport report;
  report.k = k;
  for (const LabelledQuery& q : set) {
    auto hits = retriever.retrieve(SearchQuery{q.query, {}, int(k)});
    if (!hits) return hits.error();
    QueryScore score;
    score.query = q.query;
    for (const SearchHit& hit : *hits) score.top_urls.push_back(hit.url);
    score.ndcg = ndcg_at(score.top_urls, q.relevant_urls, k);
    score.reciprocal_rank = reciprocal_rank(score.top_urls, q.relevant_urls);
    score.recall = recall_at(score.top_urls, q.relevant_urls, k);
    report.mean_ndcg += score.ndcg;
    report.mrr += score.reciprocal_rank;
    report.mean_recall += score.recall;
    report.queries.push_back(std::move(score));
  }
  if (!set.empty()) {
    report.mean_ndcg /= double(set.size());
    report.mrr /= double(set.size());
    report.mean_recall /= double(set.size());
  }
  return report;
}

}  // namespace tachyon::search
