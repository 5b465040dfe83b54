#include "search/rank_fusion.h"

#include <algorithm>
#include <map>
#include <string>

namespace tachyon::search {

std::vector<SearchHit> fuse_rankings(std::span<const std::vector<SearchHit>> rankings, size_t max_results, double k) {
  struct Fused {
    double score = 0;
    size_t best_rank = 0;  // from 1
    const SearchHit* hit = nullptr;
  };
  std::map<std::string, Fused> by_url;
  for (const std::vector<SearchHit>& ranking : rankings) {
    for (size_t i = 0; i < ranking.size(); ++i) {
      const size_t rank = i + 1;
      Fused& f = by_url[ranking[i].url];
      f.score += 1.0 / (k + double(rank));
      if (f.hit == nullptr || rank < f.best_rank) f.hit = &ranking[i], f.best_rank = rank;
    }
  }
  std::vector<std::pair<std::string, Fused>> ordered(by_url.begin(), by_url.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    if (a.second.score != b.second.score) return a.second.score > b.second.score;
    return a.second.best_rank < b.second.best_rank;  // then the URL: the map's order, kept by stable_sort
  });
  if (ordered.size() > max_results) ordered.resize(max_results);
  std::vector<SearchHit> hits;
  for (const auto& [url, f] : ordered) {
    hits.push_back(*f.hit);
    hits.back().score = f.score;
  }
  return hits;
}

}  // namespace tachyon::search
