#pragma once
// The passage index: one SQLite database in the data directory ("search.db", WAL) holding the
// pages' metadata and an FTS5 table of their passages (Porter-stemmed, diacritics folded),
// ranked by BM25 over the title and the passage text. Search returns each page once, with its
// best passage.
//
// Dense retrieval: each passage may also have a vector (`tachyon index embed`, one embedding
// model per index, its name and text prefixes kept as the VectorSpace), searched exhaustively in
// memory (VectorMatrix, reloaded when the vectors change). Replacing or removing a page removes
// its vectors.
//
// Passage rowids are page_id << 16 | ordinal, so a page's passages are one rowid range (a page
// keeps at most 65,536 passages) and a hit's page needs no lookup in the passage text.
//
// Thread-safety: search() and stats() may be called from any number of threads at once (each
// takes a connection from a small pool); writes (add, remove) are serialized inside. Several
// processes may use one index: a server reads while `tachyon index add` writes.
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "search/page.h"
#include "search/search_query.h"
#include "search/vector_matrix.h"
#include "util/result.h"

struct sqlite3;

namespace tachyon::search {

// The index file in a data directory.
std::filesystem::path index_file(const std::filesystem::path& data_dir);

// A page as the index will keep it: its passages and domain (no I/O).
IndexedPage prepare_page(Page page);

struct IndexStats {
  int64_t n_pages = 0;
  int64_t n_passages = 0;
  int64_t n_bytes = 0;  // the database file and its WAL
  std::vector<std::pair<std::string, int64_t>> top_domains;  // pages per domain, most first (10)
};

// The embedding model that made an index's passage vectors, and how it was given texts.
struct VectorSpace {
  std::string model;           // the name it was given at `tachyon index embed`
  int64_t dimensions = 0;
  std::string query_prefix;    // put before a query's text when it is embedded ("query: " for E5)
  std::string passage_prefix;  // put before each passage's text
};

// A passage as it is embedded: its page's title and its text.
struct PassageText {
  int64_t id = 0;
  std::string title;
  std::string body;
};

// How ranking weighs a term found in the page title against one in the passage text.
struct RankWeights {
  double title = 4.0;
  double body = 1.0;
};

class SearchIndex {
 public:
  enum class Mode { ReadOnly, ReadWrite };

  // ReadWrite creates the file (and the directory, mode 0700) when missing; ReadOnly fails
  // with NotFound when there is no index.
  static Result<std::unique_ptr<SearchIndex>> open(const std::filesystem::path& file, Mode mode);
  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // Adds pages in one transaction; a page whose URL is already indexed replaces it.
  Status add(std::span<const IndexedPage> pages);

  // Removes the page with this URL; false when there was none.
  Result<bool> remove(const std::string& url);

  Result<IndexStats> stats();

  // The best pages for the query's words (any of them; common English words are dropped unless
  // the query has nothing else), at most query.max_results, best first: a page scores by its
  // best passage's BM25 (its opening passage weighted 1.1), times title_match_factor(). An
  // empty list when nothing matches or the query has no words.
  Result<std::vector<SearchHit>> search(const SearchQuery& query);

  void set_rank_weights(RankWeights weights) { weights_ = weights; }

  // The space the passage vectors are in; nullopt while there are none.
  Result<std::optional<VectorSpace>> vector_space();
  // Declares the space vectors will be added in. The same model and size as the stored space
  // (prefixes included) keeps what is stored; another deletes every stored vector when `replace`
  // is set, and is an error (naming both) otherwise.
  Status set_vector_space(const VectorSpace& space, bool replace);
  // Up to `limit` passages with rowid above `after` that have no vector yet, in rowid order.
  Result<std::vector<PassageText>> passages_without_vectors(int64_t after, size_t limit);
  // Passages without a vector, and passages in all.
  Result<std::pair<int64_t, int64_t>> vector_coverage();
  // Stores the vectors (each of the space's size) of passages, in one transaction; a passage
  // removed meanwhile is skipped.
  Status put_vectors(std::span<const int64_t> ids, std::span<const std::vector<float>> vectors);

  // The pages of the passages whose vectors are nearest query_vector (dot product; cosine for
  // the unit vectors embedding models give), each page once with its best passage, filtered as
  // search() filters: at most query.max_results, best first, score the similarity. Errors: the
  // index has no vectors, or query_vector is not of their size.
  Result<std::vector<SearchHit>> search_dense(const SearchQuery& query, std::span<const float> query_vector);

 private:
  SearchIndex(std::filesystem::path file, Mode mode);
  struct Connection;
  Result<std::unique_ptr<Connection>> connect() const;
  std::unique_ptr<Connection> take_reader();
  void give_back(std::unique_ptr<Connection> connection);
  // The connection one read uses: the writer, under its lock, when the index is open for
  // writing; else a pooled reader, given back when the Borrowed goes. db is null when no reader
  // could be opened.
  struct Borrowed {
    SearchIndex* index = nullptr;
    std::unique_ptr<Connection> owned;
    std::unique_lock<std::mutex> write_lock;
    sqlite3* db = nullptr;
    Borrowed() = default;
    Borrowed(Borrowed&&) noexcept = default;
    ~Borrowed();
  };
  Borrowed borrow();
  // The stored vectors, loaded again when their generation changed since the last load.
  Result<std::shared_ptr<const VectorMatrix>> vectors(sqlite3* db);

  std::filesystem::path file_;
  Mode mode_;
  RankWeights weights_;
  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex vectors_mutex_;
  std::shared_ptr<const VectorMatrix> vectors_;
  int64_t vectors_generation_ = -1;
};

// The words of a query that are searched for: lower-cased, deduplicated, at most 32, English
// stop words dropped unless nothing else is left.
std::vector<std::string> content_terms(std::string_view query);

// 1 + 0.5 x (share of the query's words in the title) x (share of the title's words in the
// query): a page titled exactly what was asked ("hacker" for "What is a hacker?") gets 1.5.
double title_match_factor(const std::vector<std::string>& query_words, std::string_view title);

// The FTS5 MATCH expression for a query: its words, quoted, joined by OR, English stop words
// dropped unless nothing else is left; "" when the query has no words.
std::string match_expression(std::string_view query);

}  // namespace tachyon::search
