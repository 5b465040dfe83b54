#include "api/search_service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include "engine/text_embedder.h"
#include "http/async_queue.h"

namespace tachyon {

using Results = std::vector<std::vector<search::SearchHit>>;

SearchService::SearchService(std::filesystem::path data_dir, size_t n_threads, search::Retrieval retrieval,
                             search::QueryEmbedder embed)
    : data_dir_(std::move(data_dir)), retrieval_(retrieval), embed_(std::move(embed)), pool_(n_threads) {}

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
  asio::post(pool_, [this, done, index = *index, queries = std::move(queries)] {
    search::Retriever retriever(index, retrieval_, embed_);
    Results results;
    for (const search::SearchQuery& q : queries) {
      auto hits = retriever.retrieve(q);
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

search::QueryEmbedder served_query_embedder(const ModelRegistry& models, std::string model_name) {
  return [&models, model_name](const search::VectorSpace& space, const std::string& text) -> Result<std::vector<float>> {
    const std::string& name = model_name.empty() ? space.model : model_name;
    const std::shared_ptr<ServedModel> model = models.find(name);  // held while it embeds
    if (!model || !model->embedder)
      return make_error(ErrorKind::Unavailable,
                        "dense retrieval needs model '{}' to embed queries (the index's vectors were made by '{}'): "
                        "serve it (--model {}=PATH), or name the served model that made them with --retrieval-model",
                        name, space.model, space.model);
    return embed_text(*model->embedder, text);
  };
}

}  // namespace tachyon
