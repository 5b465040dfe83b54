#include "api/search_service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include "http/async_queue.h"

namespace tachyon {

using Results = std::vector<std::vector<search::SearchHit>>;

SearchService::SearchService(std::filesystem::path data_dir, size_t n_threads)
    : data_dir_(std::move(data_dir)), pool_(n_threads) {}

SearchService::~SearchService() { pool_.join(); }

Result<std::shared_ptr<search::SearchIndex>> SearchService::index() {
  std::lock_guard lock(mutex_);
  if (index_) return index_;
  const std::filesystem::path file = search::index_file(data_dir_);
  auto opened = search::SearchIndex::open(file, search::SearchIndex::Mode::ReadOnly);
  if (!opened) {
    if (opened.error().kind != ErrorKind::NotFound) return opened.error();
    return make_error(ErrorKind::Unavailable,
                      "This server has no search index: {} does not exist. Build the default corpus with "
                      "`scripts/build_corpus.sh --data-dir {}`, or index your own pages with "
                      "`tachyon index add --data-dir {} PATH...`",
                      file.string(), data_dir_.string(), data_dir_.string());
  }
  index_ = std::shared_ptr<search::SearchIndex>(std::move(*opened));
  return index_;
}

asio::awaitable<Result<Results>> SearchService::run(std::vector<search::SearchQuery> queries) {
  auto index = this->index();
  if (!index) co_return index.error();
  auto done = std::make_shared<AsyncQueue<Result<Results>>>(co_await asio::this_coro::executor);
  asio::post(pool_, [done, index = *index, queries = std::move(queries)] {
    Results results;
    for (const search::SearchQuery& q : queries) {
      auto hits = index->search(q);
      if (!hits) {
        done->push(hits.error());
        return;
      }
      results.push_back(std::move(*hits));
    }
    done->push(std::move(results));
  });
  std::optional<Result<Results>> result = co_await done->pop();
  co_return result ? std::move(*result) : Result<Results>(make_error(ErrorKind::Internal, "search stopped"));
}

}  // namespace tachyon
