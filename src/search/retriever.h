#pragma once
// What a search runs against the index, by retrieval mode: BM25 over the passages' words, dense
// (the passage vectors nearest the query's embedding), or hybrid (both rankings, fused by
// reciprocal rank). The query's embedding comes from a QueryEmbedder, so this folder needs no
// model: the server embeds through its served embedding model, the command line through a
// model it loads.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "search/search_index.h"
#include "search/search_query.h"
#include "util/result.h"

namespace tachyon::search {

enum class Retrieval { bm25, dense, hybrid };

// "bm25" | "dense" | "hybrid"; InvalidArgument otherwise.
Result<Retrieval> parse_retrieval(std::string_view name);
std::string_view retrieval_name(Retrieval retrieval);

// A query's unit vector in the index's vector space: `space` says which model made the passage
// vectors and their size; the query prefix is already in the text. Errors: no such model here,
// the model failed. (A vector of another size than the space's is refused by the Retriever.)
using QueryEmbedder = std::function<Result<std::vector<float>>(const VectorSpace& space, const std::string& text)>;

class Retriever {
 public:
  // embed may be empty for bm25.
  Retriever(std::shared_ptr<SearchIndex> index, Retrieval retrieval, QueryEmbedder embed)
      : index_(std::move(index)), retrieval_(retrieval), embed_(std::move(embed)) {}

  Retrieval retrieval() const { return retrieval_; }
  SearchIndex& index() { return *index_; }

  // The best pages for the query, at most query.max_results, best first. Hybrid fuses the top
  // max(2 x max_results, 20) of each ranking. Errors: the index has no vectors (dense, hybrid),
  // the embedder failed, the index failed.
  Result<std::vector<SearchHit>> retrieve(const SearchQuery& query);

 private:
  Result<std::vector<SearchHit>> dense(const SearchQuery& query);

  std::shared_ptr<SearchIndex> index_;
  Retrieval retrieval_;
  QueryEmbedder embed_;
};

}  // namespace tachyon::search
