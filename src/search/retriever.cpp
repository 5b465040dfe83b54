#include "search/retriever.h"

#include <algorithm>

#include "search/rank_fusion.h"

namespace tachyon::search {

Result<Retrieval> parse_retrieval(std::string_view name) {
  if (name == "bm25") return Retrieval::bm25;
  if (name == "dense") return Retrieval::dense;
  if (name == "hybrid") return Retrieval::hybrid;
  return make_error(ErrorKind::InvalidArgument, "retrieval '{}' is not one of bm25, dense, hybrid", name);
}

std::string_view retrieval_name(Retrieval retrieval) {
  switch (retrieval) {
    case Retrieval::bm25: return "bm25";
    case Retrieval::dense: return "dense";
    case Retrieval::hybrid: return "hybrid";
  }
  return "bm25";
}

Result<std::vector<SearchHit>> Retriever::dense(const SearchQuery& query) {
  if (!embed_) return make_error(ErrorKind::Unavailable, "dense retrieval needs an embedding model for the queries");
  auto space = index_->vector_space();
  if (!space) return space.error();
  if (!*space)
    return make_error(ErrorKind::Unavailable,
                      "the search index has no passage vectors: make them with `tachyon index embed --model FILE`");
  auto vector = embed_(**space, (*space)->query_prefix + query.text);
  if (!vector) return vector.error();
  if (int64_t(vector->size()) != (*space)->dimensions)
    return make_error(ErrorKind::Unavailable,
                      "the query's embedding has {} values, the index's vectors (made by '{}') have {}: embed "
                      "queries with the model that made them",
                      vector->size(), (*space)->model, (*space)->dimensions);
  return index_->search_dense(query, *vector);
}

Result<std::vector<SearchHit>> Retriever::retrieve(const SearchQuery& query) {
  switch (retrieval_) {
    case Retrieval::bm25: return index_->search(query);
    case Retrieval::dense: return dense(query);
    case Retrieval::hybrid: break;
  }
  SearchQuery deeper = query;
  deeper.max_results = std::max(2 * query.max_results, 20);
  std::vector<std::vector<SearchHit>> rankings(2);
  auto words = index_->search(deeper);
  if (!words) return words.error();
  rankings[0] = std::move(*words);
  auto vectors = dense(deeper);
  if (!vectors) return vectors.error();
  rankings[1] = std::move(*vectors);
  return fuse_rankings(rankings, size_t(std::max(query.max_results, 0)));
}

}  // namespace tachyon::search
