#include "search/vector_matrix.h"

#include <algorithm>

namespace tachyon::search {

float dot_product(const float* a, const float* b, int64_t n) {
  float s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) s[i % 8] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

void VectorMatrix::add(int64_t id, std::span<const float> v) {
  ids_.push_back(id);
  values_.insert(values_.end(), v.begin(), v.begin() + dimensions_);
}

std::vector<ScoredPassage> VectorMatrix::scores(std::span<const float> q) const {
  std::vector<ScoredPassage> all(ids_.size());
  for (size_t r = 0; r < ids_.size(); ++r)
    all[r] = {ids_[r], double(dot_product(q.data(), &values_[r * size_t(dimensions_)], dimensions_))};
  return all;
}

std::vector<ScoredPassage> VectorMatrix::nearest(std::span<const float> q, size_t k) const {
  std::vector<ScoredPassage> all = scores(q);
  k = std::min(k, all.size());
  sort_best(all, 0, k);
  all.resize(k);
  return all;
}

void sort_best(std::vector<ScoredPassage>& scored, size_t from, size_t to) {
  auto better = [](const ScoredPassage& a, const ScoredPassage& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  to = std::min(to, scored.size());
  if (from >= to) return;
  std::partial_sort(scored.begin() + int64_t(from), scored.begin() + int64_t(to), scored.end(), better);
}

}  // namespace tachyon::search
