#pragma once
// Passage vectors in memory, for dense retrieval: one row of `dimensions` floats per passage id,
// searched exhaustively (every row's dot product with the query), which is exact and, at the
// sizes a single index holds (tens of thousands to a few million passages), a matter of
// milliseconds to a fraction of a second on one core.
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon::search {

struct ScoredPassage {
  int64_t id = 0;     // the passage's rowid in the index
  double score = 0;   // higher is better
};

class VectorMatrix {
 public:
  explicit VectorMatrix(int64_t dimensions) : dimensions_(dimensions) {}

  int64_t dimensions() const { return dimensions_; }
  size_t size() const { return ids_.size(); }
  // Appends a row; v has dimensions() values.
  void add(int64_t id, std::span<const float> v);

  // Every row's dot product with q (cosine similarity for unit vectors), in row order.
  std::vector<ScoredPassage> scores(std::span<const float> q) const;
  // The k rows with the largest dot product with q, best first; ties go to the lower id, so the
  // order never depends on load order.
  std::vector<ScoredPassage> nearest(std::span<const float> q, size_t k) const;

 private:
  int64_t dimensions_;
  std::vector<int64_t> ids_;
  std::vector<float> values_;  // (size, dimensions)
};

// Puts the best of scored[from..] in scored[from, to) in order (best first, ties to the lower
// id), given that scored[0, from) already holds the best `from` in order.
void sort_best(std::vector<ScoredPassage>& scored, size_t from, size_t to);

// The dot product of two rows of n floats, in eight interleaved partial sums (a fixed order, so
// the result is the same on every machine).
float dot_product(const float* a, const float* b, int64_t n);

}  // namespace tachyon::search
