#pragma once
// The server's side of the search index: opens the index of the data directory when first
// needed (so one built while the server runs is picked up), and runs queries on its own
// threads so that a slow query never holds an I/O thread.
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "search/search_index.h"
#include "util/result.h"

namespace tachyon {

namespace asio = boost::asio;

class SearchService {
 public:
  // `data_dir` holds the index (search::index_file); `n_threads` run queries.
  SearchService(std::filesystem::path data_dir, size_t n_threads);
  ~SearchService();  // waits for running queries

  // The index; Unavailable, saying how to build one, while the data directory has none.
  // Any thread.
  Result<std::shared_ptr<search::SearchIndex>> index();

  // Runs each query, in order, on the service's threads; the coroutine waits without blocking
  // its thread. Call from a handler coroutine.
  asio::awaitable<Result<std::vector<std::vector<search::SearchHit>>>> run(std::vector<search::SearchQuery> queries);

 private:
  std::filesystem::path data_dir_;
  std::mutex mutex_;
  std::shared_ptr<search::SearchIndex> index_;
  asio::thread_pool pool_;
};

}  // namespace tachyon
