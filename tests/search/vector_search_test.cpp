// Dense and hybrid retrieval in the search layer: exhaustive nearest-vector search, reciprocal
// rank fusion, passage vectors kept in the index (their space, coverage, replacement and removal
// of pages, readers reloading after writes, filters, an index of schema 1), and the Retriever's
// three modes. Query vectors come from a small deterministic embedder defined here: each text's
// vector is a one-hot of the page it names, so every expected ranking is known exactly.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "search/rank_fusion.h"
#include "search/retriever.h"
#include "search/search_index.h"
#include "search/vector_matrix.h"
#include "temp_index.h"

namespace tachyon::search {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDims = 4;

std::vector<float> one_hot(int64_t i, float weight = 1.0f) {
  std::vector<float> v(static_cast<size_t>(kDims), 0.0f);
  v[size_t(i)] = weight;
  return v;
}

TEST(VectorMatrix, NearestIsTheLargestDotProductBestFirstTiesByLowerId) {
  VectorMatrix m(2);
  m.add(30, std::vector<float>{0.6f, 0.8f});
  m.add(10, std::vector<float>{1.0f, 0.0f});
  m.add(20, std::vector<float>{0.0f, 1.0f});
  m.add(5, std::vector<float>{0.0f, 1.0f});
  const std::vector<float> q{0.0f, 1.0f};
  const auto top = m.nearest(q, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, 5);  // a tie with 20 at 1.0: the lower id first
  EXPECT_EQ(top[1].id, 20);
  EXPECT_EQ(top[2].id, 30);
  EXPECT_NEAR(top[2].score, 0.8, 1e-6);
  EXPECT_EQ(m.nearest(q, 10).size(), 4u);
  EXPECT_TRUE(m.nearest(q, 0).empty());
}

TEST(VectorMatrix, DotProductOfLongRows) {
  std::vector<float> a(37), b(37);
  double expected = 0;
  for (int i = 0; i < 37; ++i) {
    a[size_t(i)] = float(i) * 0.25f, b[size_t(i)] = 1.0f - float(i) * 0.01f;
    expected += double(a[size_t(i)]) * b[size_t(i)];
  }
  EXPECT_NEAR(dot_product(a.data(), b.data(), 37), expected, 1e-3);
}

SearchHit hit(const std::string& url, const std::string& snippet = "") {
  SearchHit h;
  h.url = url;
  h.snippet = snippet;
  return h;
}

TEST(RankFusion, SumsReciprocalRanksAndKeepsTheBestRankedHit) {
  const std::vector<std::vector<SearchHit>> rankings = {
      {hit("a", "a from words"), hit("b"), hit("c")},
      {hit("c", "c from vectors"), hit("a", "a from vectors"), hit("d")},
  };
  const auto fused = fuse_rankings(rankings, 10);
  ASSERT_EQ(fused.size(), 4u);
  // a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63.
  EXPECT_EQ(fused[0].url, "a");
  EXPECT_NEAR(fused[0].score, 1.0 / 61 + 1.0 / 62, 1e-12);
  EXPECT_EQ(fused[0].snippet, "a from words");
  EXPECT_EQ(fused[1].url, "c");
  EXPECT_EQ(fused[1].snippet, "c from vectors");
  EXPECT_EQ(fused[2].url, "b");
  EXPECT_EQ(fused[3].url, "d");
  EXPECT_EQ(fuse_rankings(rankings, 2).size(), 2u);
  // Equal scores and equal best ranks: by URL.
  const std::vector<std::vector<SearchHit>> one_each = {{hit("y")}, {hit("x")}};
  EXPECT_EQ(fuse_rankings(one_each, 2)[0].url, "x");
}

// Four pages of one passage each; page i's passage vector is one_hot(i).
class VectorIndexTest : public TempIndexTest {
 protected:
  void SetUp() override {
    TempIndexTest::SetUp();
    if (HasFatalFailure()) return;
    std::vector<IndexedPage> pages;
    for (int i = 0; i < 4; ++i) pages.push_back(prepare_page(page(i, "common words and page" + std::to_string(i))));
    ASSERT_TRUE(index_->add(pages).ok());
  }

  static Page page(int i, std::string text) {
    Page p;
    p.url = "https://site" + std::to_string(i) + ".example/";
    p.title = "page" + std::to_string(i);
    p.text = std::move(text);
    return p;
  }

  void embed_all() {
    ASSERT_TRUE(index_->set_vector_space(VectorSpace{"toy", kDims, "q: ", ""}, false).ok());
    auto todo = index_->passages_without_vectors(-1, 100);
    ASSERT_TRUE(todo.ok()) << todo.error().message;
    std::vector<int64_t> ids;
    std::vector<std::vector<float>> vectors;
    for (const PassageText& p : *todo) {
      ids.push_back(p.id);
      vectors.push_back(one_hot(std::stoi(p.title.substr(4))));
    }
    ASSERT_TRUE(index_->put_vectors(ids, vectors).ok());
  }

  std::vector<std::string> dense_urls(int64_t i, SearchFilters filters = {}, int max_results = 10) {
    std::vector<float> q = one_hot(i, 0.9f);
    q[size_t((i + 1) % kDims)] = 0.1f;  // the next page second
    auto hits = index_->search_dense(SearchQuery{"", std::move(filters), max_results}, q);
    EXPECT_TRUE(hits.ok()) << hits.error().message;
    std::vector<std::string> out;
    if (hits.ok())
      for (const SearchHit& h : *hits) out.push_back(h.url);
    return out;
  }

};

TEST_F(VectorIndexTest, EmbeddingFillsTheCoverageAndDenseSearchRanksBySimilarity) {
  auto space = index_->vector_space();
  ASSERT_TRUE(space.ok());
  EXPECT_FALSE(space->has_value());
  EXPECT_EQ(index_->vector_coverage()->first, 4);
  auto none = index_->search_dense(SearchQuery{"", {}, 3}, one_hot(0));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("tachyon index embed"), std::string::npos);

  embed_all();
  EXPECT_EQ(*index_->vector_coverage(), (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_TRUE(index_->passages_without_vectors(-1, 100)->empty());
  EXPECT_EQ((*index_->vector_space())->query_prefix, "q: ");
  const auto urls = dense_urls(2, {}, 2);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://site2.example/", "https://site3.example/"}));
  auto hits = index_->search_dense(SearchQuery{"", {}, 1}, one_hot(1));
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ((*hits)[0].title, "page1");
  EXPECT_EQ((*hits)[0].snippet.find("common words and page1"), 0u);
  EXPECT_NEAR((*hits)[0].score, 1.0, 1e-6);
  // Vectors of the wrong size are refused.
  EXPECT_FALSE(index_->search_dense(SearchQuery{"", {}, 1}, std::vector<float>{1.0f}).ok());
  EXPECT_FALSE(index_->put_vectors(std::vector<int64_t>{0}, std::vector<std::vector<float>>{{1.0f}}).ok());
}

TEST_F(VectorIndexTest, FiltersApplyToDenseResults) {
  embed_all();
  SearchFilters deny;
  deny.deny_domains = {"site2.example"};
  EXPECT_EQ(dense_urls(2, deny).front(), "https://site3.example/");
  EXPECT_EQ(dense_urls(2, deny).size(), 3u);
  SearchFilters allow;
  allow.allow_domains = {"site0.example"};
  EXPECT_EQ(dense_urls(2, allow), std::vector<std::string>{"https://site0.example/"});
}

TEST_F(VectorIndexTest, ReplacedAndRemovedPagesLoseTheirVectorsAndReadersReload) {
  embed_all();
  auto reader = SearchIndex::open(index_file(dir_), SearchIndex::Mode::ReadOnly);
  ASSERT_TRUE(reader.ok());
  auto before = (*reader)->search_dense(SearchQuery{"", {}, 1}, one_hot(1));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)[0].url, "https://site1.example/");

  // Page 1 rewritten: its old vector goes with its old passages, until it is embedded again.
  ASSERT_TRUE(index_->add(std::vector<IndexedPage>{prepare_page(page(1, "rewritten"))}).ok());
  EXPECT_EQ(index_->vector_coverage()->first, 1);
  auto after = (*reader)->search_dense(SearchQuery{"", {}, 4}, one_hot(1));
  ASSERT_TRUE(after.ok());
  for (const SearchHit& h : *after) EXPECT_NE(h.url, "https://site1.example/");
  auto todo = index_->passages_without_vectors(-1, 10);
  ASSERT_EQ(todo->size(), 1u);
  EXPECT_EQ((*todo)[0].body, "rewritten");
  ASSERT_TRUE(index_->put_vectors(std::vector<int64_t>{(*todo)[0].id}, std::vector<std::vector<float>>{one_hot(1)}).ok());
  EXPECT_EQ((*(*reader)->search_dense(SearchQuery{"", {}, 1}, one_hot(1)))[0].snippet, "rewritten");

  ASSERT_TRUE(*index_->remove("https://site1.example/"));
  EXPECT_EQ(*index_->vector_coverage(), (std::pair<int64_t, int64_t>{0, 3}));
  EXPECT_NE((*(*reader)->search_dense(SearchQuery{"", {}, 1}, one_hot(1)))[0].url, "https://site1.example/");
}

TEST_F(VectorIndexTest, AnotherSpaceReplacesTheVectorsOnlyWhenAsked) {
  embed_all();
  auto mixed = index_->set_vector_space(VectorSpace{"other", kDims, "", ""}, false);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message.find("'toy'"), std::string::npos) << mixed.error().message;
  EXPECT_EQ(index_->vector_coverage()->first, 0);
  EXPECT_TRUE(index_->set_vector_space(VectorSpace{"toy", kDims, "q: ", ""}, false).ok());  // the same: kept
  EXPECT_EQ(index_->vector_coverage()->first, 0);
  ASSERT_TRUE(index_->set_vector_space(VectorSpace{"other", 8, "", ""}, true).ok());
  EXPECT_EQ(index_->vector_coverage()->first, 4);
  EXPECT_EQ((*index_->vector_space())->model, "other");
}

TEST(VectorIndexSchema, AnIndexOfSchemaOneReadsWithoutVectorsAndUpgradesOnWrite) {
  const fs::path dir = fs::temp_directory_path() / ("tachyon-vector-schema-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(index_file(dir).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE pages(id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, "
                         "domain TEXT NOT NULL, date TEXT, last_updated TEXT, language TEXT NOT NULL, n_passages "
                         "INTEGER NOT NULL, indexed_ms INTEGER NOT NULL);"
                         "CREATE VIRTUAL TABLE passages USING fts5(title, body);"
                         "INSERT INTO pages VALUES(1, 'https://a.example/', 'a', 'a.example', NULL, NULL, 'en', 1, 0);"
                         "INSERT INTO passages(rowid, title, body) VALUES(65536, 'a', 'alpha words');"
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto reader = SearchIndex::open(index_file(dir), SearchIndex::Mode::ReadOnly);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    EXPECT_EQ((*reader)->search(SearchQuery{"alpha", {}, 1})->size(), 1u);
    EXPECT_FALSE((*reader)->vector_space()->has_value());
    EXPECT_EQ(*(*reader)->vector_coverage(), (std::pair<int64_t, int64_t>{1, 1}));
    EXPECT_FALSE((*reader)->search_dense(SearchQuery{"", {}, 1}, one_hot(0)).ok());

    auto writer = SearchIndex::open(index_file(dir), SearchIndex::Mode::ReadWrite);
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    ASSERT_TRUE((*writer)->set_vector_space(VectorSpace{"toy", kDims, "", ""}, false).ok());
    ASSERT_TRUE((*writer)->put_vectors(std::vector<int64_t>{65536}, std::vector<std::vector<float>>{one_hot(0)}).ok());
    // The reader opened on schema 1 sees the vectors once the file has them.
    auto hits = (*reader)->search_dense(SearchQuery{"", {}, 1}, one_hot(0));
    ASSERT_TRUE(hits.ok()) << hits.error().message;
    EXPECT_EQ((*hits)[0].url, "https://a.example/");
  }
  fs::remove_all(dir);
}

// The Retriever over the fixture pages: bm25 is the index's own ranking, dense embeds the query
// (prefix included) and hybrid fuses both.
TEST_F(VectorIndexTest, RetrieverModes) {
  embed_all();
  std::vector<std::string> embedded;
  QueryEmbedder embed = [&](const VectorSpace& space, const std::string& text) -> Result<std::vector<float>> {
    EXPECT_EQ(space.model, "toy");
    embedded.push_back(text);
    // "... pageN" names page N.
    return one_hot(text.back() - '0');
  };
  auto shared = std::shared_ptr<SearchIndex>(std::move(index_));
  Retriever bm25(shared, Retrieval::bm25, {});
  auto words = bm25.retrieve(SearchQuery{"page3", {}, 2});
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(words->front().url, "https://site3.example/");
  EXPECT_TRUE(embedded.empty());

  Retriever dense(shared, Retrieval::dense, embed);
  auto nearest = dense.retrieve(SearchQuery{"words of page2", {}, 2});
  ASSERT_TRUE(nearest.ok()) << nearest.error().message;
  EXPECT_EQ(nearest->front().url, "https://site2.example/");
  EXPECT_EQ(embedded, std::vector<std::string>{"q: words of page2"});

  // Words say page1, the vector says page0: both lead the fused list, each first in one ranking.
  embed = [](const VectorSpace&, const std::string&) -> Result<std::vector<float>> { return one_hot(0); };
  Retriever hybrid(shared, Retrieval::hybrid, embed);
  auto fused = hybrid.retrieve(SearchQuery{"page1", {}, 4});
  ASSERT_TRUE(fused.ok()) << fused.error().message;
  ASSERT_EQ(fused->size(), 4u);
  std::set<std::string> top2 = {(*fused)[0].url, (*fused)[1].url};
  EXPECT_EQ(top2, (std::set<std::string>{"https://site0.example/", "https://site1.example/"}));

  Retriever broken(shared, Retrieval::hybrid,
                   [](const VectorSpace&, const std::string&) -> Result<std::vector<float>> {
                     return make_error(ErrorKind::Unavailable, "model gone");
                   });
  auto failed = broken.retrieve(SearchQuery{"page1", {}, 4});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "model gone");
  EXPECT_EQ(*parse_retrieval("hybrid"), Retrieval::hybrid);
  EXPECT_FALSE(parse_retrieval("vector").ok());
}

}  // namespace
}  // namespace tachyon::search
