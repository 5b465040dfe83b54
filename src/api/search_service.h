#pragma once
// The server's side of the search index: opens the index of the data directory when first
// needed (so one built while the server runs is picked up), and runs queries on its own
// threads so that a slow query never holds an I/O thread. Queries are retrieved by BM25, dense
// vectors or both (--retrieval); dense queries are embedded by a served embedding model.
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/model_registry.h"
#include "search/retriever.h"
#include "search/search_index.h"
#include "util/result.h"

namespace tachyon {

namespace asio = boost::asio;

class SearchService {
 public:
  // `data_dir` holds the index (search::index_file); `n_threads` run queries; `embed` embeds
  // the queries of dense and hybrid retrieval.
  SearchService(std::filesystem::path data_dir, size_t n_threads, search::Retrieval retrieval = search::Retrieval::bm25,
                search::QueryEmbedder embed = {});
  ~SearchService();  // waits for running queries

  // The index; Unavailable, saying how to build one, while the data directory has none.
  // Any thread.
  Result<std::shared_ptr<search::SearchIndex>> index();

  // Runs each query, in order, on the service's threads; the coroutine waits without blocking
  // its thread. Call from a handler coroutine.
  asio::awaitable<Result<std::vector<std::vector<search::SearchHit>>>> run(std::vector<search::SearchQuery> queries);

 search::Retrieval retrieval() const { return retrieval_; }

 private:
  std::filesystem::path data_dir_;
  search::Retrieval retrieval_;
  search::QueryEmbedder embed_;
  std::mutex mutex_;
  std::shared_ptr<search::SearchIndex> index_;
  asio::thread_pool pool_;
};

// Queries embedded by a served model: `model_name`, or when empty the model the index's vectors
// name. Errors (Unavailable): that model is not served, or serves no embeddings. Blocks the calling thread while the model's embedding engine
// runs the query.
search::QueryEmbedder served_query_embedder(const ModelRegistry& models, std::string model_name);

}  // namespace tachyon
