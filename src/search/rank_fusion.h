#pragma once
// Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): several rankings of pages
// become one, a page scoring the sum over the rankings it appears in of 1 / (k + rank), rank
// counted from 1. It needs no calibration between the rankings' scores (BM25 and cosine
// similarity are on unrelated scales), which is why hybrid retrieval uses it.
#include <span>
#include <vector>

#include "search/search_query.h"

namespace tachyon::search {

inline constexpr double kRrfK = 60;  // the paper's constant

// The fused ranking, at most max_results pages by URL, best first (ties: the better best rank,
// then the URL). Each page keeps the hit (snippet, metadata) of the ranking it ranked best in,
// the earlier ranking on a tie, with its fused score.
std::vector<SearchHit> fuse_rankings(std::span<const std::vector<SearchHit>> rankings, size_t max_results,
                                     double k = kRrfK);

}  // namespace tachyon::search
