// The search index's passage vectors: their space, adding them, and dense search over them.
#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "search/index_internals.h"
#include "search/search_index.h"

namespace tachyon::search {
namespace {

constexpr const char* kNoVectors =
    "the search index has no passage vectors: make them with `tachyon index embed --model FILE`";

// Whether the file has the vector tables (schema 2; a server that opened a schema 1 file sees
// them once `tachyon index embed` has upgraded it).
bool has_vector_tables(sqlite3* db) {
  Statement version(db, "PRAGMA user_version");
  return version.step() == SQLITE_ROW && version.int_at(0) >= 2;
}

std::optional<VectorSpace> read_space(Statement& row) {
  if (row.step() != SQLITE_ROW) return std::nullopt;
  return VectorSpace{row.text_at(0), row.int_at(1), row.text_at(2), row.text_at(3)};
}

}  // namespace

Result<std::optional<VectorSpace>> SearchIndex::vector_space() {
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  if (!has_vector_tables(borrowed.db)) return std::optional<VectorSpace>();
  Statement row(borrowed.db, "SELECT model, dimensions, query_prefix, passage_prefix FROM vector_space");
  if (!row.prepared()) return row.error();
  return read_space(row);
}

Status SearchIndex::set_vector_space(const VectorSpace& space, bool replace) {
  if (mode_ != Mode::ReadWrite) return make_error(ErrorKind::Internal, "the search index is open read-only");
  if (space.model.empty() || space.dimensions <= 0)
    return make_error(ErrorKind::InvalidArgument, "a vector space needs a model name and a size");
  std::lock_guard lock(write_mutex_);
  sqlite3* db = writer_->db;
  if (Status s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
  auto rollback = [&](Error e) {
    (void)exec(db, "ROLLBACK");
    return e;
  };
  Statement row(db, "SELECT model, dimensions, query_prefix, passage_prefix FROM vector_space");
  const std::optional<VectorSpace> stored = read_space(row);
  if (stored && stored->model == space.model && stored->dimensions == space.dimensions &&
      stored->query_prefix == space.query_prefix && stored->passage_prefix == space.passage_prefix)
    return exec(db, "ROLLBACK");
  if (stored && !replace)
    return rollback(make_error(ErrorKind::InvalidArgument,
                               "the index's vectors were made by '{}' ({} dimensions, query prefix '{}', passage "
                               "prefix '{}'); vectors of '{}' ({} dimensions, '{}', '{}') cannot be mixed with "
                               "them: replace them all with --replace",
                               stored->model, stored->dimensions, stored->query_prefix, stored->passage_prefix,
                               space.model, space.dimensions, space.query_prefix, space.passage_prefix));
  if (Status s = exec(db, "DELETE FROM passage_vectors"); !s) return rollback(s.error());
  Statement put(db, "INSERT INTO vector_space(id, model, dimensions, query_prefix, passage_prefix, generation) "
                    "VALUES (1, ?1, ?2, ?3, ?4, 0) ON CONFLICT(id) DO UPDATE SET model = ?1, dimensions = ?2, "
                    "query_prefix = ?3, passage_prefix = ?4, generation = generation + 1");
  put.bind(1, space.model);
  put.bind(2, space.dimensions);
  put.bind(3, space.query_prefix);
  put.bind(4, space.passage_prefix);
  if (put.step() != SQLITE_DONE) return rollback(put.error());
  return exec(db, "COMMIT");
}

Result<std::vector<PassageText>> SearchIndex::passages_without_vectors(int64_t after, size_t limit) {
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  if (!has_vector_tables(borrowed.db)) return make_error(ErrorKind::Unavailable, kNoVectors);
  Statement rows(borrowed.db,
                 "SELECT rowid, title, body FROM passages WHERE rowid > ?1 AND rowid NOT IN "
                 "(SELECT passage FROM passage_vectors WHERE passage > ?1) ORDER BY rowid LIMIT ?2");
  rows.bind(1, after);
  rows.bind(2, int64_t(limit));
  std::vector<PassageText> out;
  int rc;
  while ((rc = rows.step()) == SQLITE_ROW) out.push_back({rows.int_at(0), rows.text_at(1), rows.text_at(2)});
  if (rc != SQLITE_DONE) return rows.error();
  return out;
}

Result<std::pair<int64_t, int64_t>> SearchIndex::vector_coverage() {
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  Statement passages(borrowed.db, "SELECT coalesce(sum(n_passages), 0) FROM pages");
  if (passages.step() != SQLITE_ROW) return passages.error();
  const int64_t total = passages.int_at(0);
  if (!has_vector_tables(borrowed.db)) return std::pair{total, total};
  Statement vectors(borrowed.db, "SELECT count(*) FROM passage_vectors");
  if (vectors.step() != SQLITE_ROW) return vectors.error();
  return std::pair{total - vectors.int_at(0), total};
}

Status SearchIndex::put_vectors(std::span<const int64_t> ids, std::span<const std::vector<float>> vectors) {
  if (mode_ != Mode::ReadWrite) return make_error(ErrorKind::Internal, "the search index is open read-only");
  if (ids.size() != vectors.size()) return make_error(ErrorKind::Internal, "put_vectors: ids and vectors differ in count");
  auto space = vector_space();
  if (!space) return space.error();
  if (!*space) return make_error(ErrorKind::InvalidArgument, "set the vector space before adding vectors");
  for (const std::vector<float>& v : vectors)
    if (int64_t(v.size()) != (*space)->dimensions)
      return make_error(ErrorKind::InvalidArgument, "a vector of {} values in a space of {}", v.size(),
                        (*space)->dimensions);
  std::lock_guard lock(write_mutex_);
  sqlite3* db = writer_->db;
  if (Status s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
  // Only passages still in the index: a page replaced meanwhile has new passages to embed.
  Statement put(db, "INSERT OR REPLACE INTO passage_vectors(passage, vector) "
                    "SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM pages WHERE id = ?3)");
  for (size_t i = 0; i < ids.size(); ++i) {
    put.bind(1, ids[i]);
    put.bind_blob(2, vectors[i].data(), vectors[i].size() * sizeof(float));
    put.bind(3, ids[i] / kPassagesPerPage);
    if (put.step() != SQLITE_DONE) {
      Error e = put.error();
      (void)exec(db, "ROLLBACK");
      return e;
    }
    put.reset();
  }
  if (Status s = exec(db, kNewVectorGeneration); !s) {
    (void)exec(db, "ROLLBACK");
    return s;
  }
  return exec(db, "COMMIT");
}

Result<std::shared_ptr<const VectorMatrix>> SearchIndex::vectors(sqlite3* db) {
  Statement space(db, "SELECT dimensions, generation FROM vector_space");
  if (!space.prepared()) return space.error();
  if (space.step() != SQLITE_ROW) return make_error(ErrorKind::Unavailable, kNoVectors);
  const int64_t dimensions = space.int_at(0), generation = space.int_at(1);
  std::lock_guard lock(vectors_mutex_);
  if (vectors_ && vectors_generation_ == generation) return vectors_;
  auto matrix = std::make_shared<VectorMatrix>(dimensions);
  Statement rows(db, "SELECT passage, vector FROM passage_vectors ORDER BY passage");
  std::vector<float> v(static_cast<size_t>(dimensions));
  int rc;
  while ((rc = rows.step()) == SQLITE_ROW) {
    const std::string_view bytes = rows.blob_at(1);
    if (bytes.size() != v.size() * sizeof(float))
      return make_error(ErrorKind::Internal, "search index: passage {} has a vector of {} bytes, not {}",
                        rows.int_at(0), bytes.size(), v.size() * sizeof(float));
    std::memcpy(v.data(), bytes.data(), bytes.size());
    matrix->add(rows.int_at(0), v);
  }
  if (rc != SQLITE_DONE) return rows.error();
  if (matrix->size() == 0) return make_error(ErrorKind::Unavailable, kNoVectors);
  vectors_ = std::move(matrix);
  vectors_generation_ = generation;
  return vectors_;
}

Result<std::vector<SearchHit>> SearchIndex::search_dense(const SearchQuery& query, std::span<const float> query_vector) {
  if (query.max_results <= 0) return std::vector<SearchHit>{};
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  sqlite3* db = borrowed.db;
  if (!has_vector_tables(db)) return make_error(ErrorKind::Unavailable, kNoVectors);
  auto matrix = vectors(db);
  if (!matrix) return matrix.error();
  if (int64_t(query_vector.size()) != (*matrix)->dimensions())
    return make_error(ErrorKind::InvalidArgument, "a query vector of {} values against passage vectors of {}",
                      query_vector.size(), (*matrix)->dimensions());

  // Each candidate passage's page, if it passes the filters; parameters from ?2 on.
  const FilterSql filters = filter_sql(query.filters, 2);
  std::string sql = "SELECT url, title, date, last_updated, domain, language FROM pages pg WHERE pg.id = ?1";
  for (const std::string& c : filters.conditions) sql += " AND " + c;
  Statement page(db, sql);
  if (!page.prepared()) return page.error();
  Statement body(db, "SELECT body FROM passages WHERE rowid = ?1");

  // Every passage's similarity, computed once; the best are put in order in growing prefixes
  // (more than pages wanted, and more again when too many share pages or are filtered out), and
  // each passage's page is looked up once.
  std::vector<ScoredPassage> ranked = (*matrix)->scores(query_vector);
  std::vector<SearchHit> hits;
  std::unordered_set<int64_t> seen;
  size_t done = 0;
  for (size_t k = std::max<size_t>(50, size_t(query.max_results) * 5); done < ranked.size(); k *= 4) {
    sort_best(ranked, done, k);
    for (; done < std::min(k, ranked.size()); ++done) {
      const ScoredPassage& p = ranked[done];
      if (!seen.insert(p.id / kPassagesPerPage).second) continue;
      page.bind(1, p.id / kPassagesPerPage);
      for (size_t i = 0; i < filters.values.size(); ++i) page.bind(int(i) + 2, filters.values[i]);
      if (page.step() == SQLITE_ROW) {
        SearchHit hit{page.text_at(0), page.text_at(1), "", page.optional_text_at(2), page.optional_text_at(3),
                      page.text_at(4), page.text_at(5), p.score};
        body.bind(1, p.id);
        if (body.step() == SQLITE_ROW) hit.snippet = body.text_at(0);
        body.reset();
        hits.push_back(std::move(hit));
      }
      page.reset();
      if (hits.size() == size_t(query.max_results)) return hits;
    }
  }
  return hits;  // every passage was looked at
}

}  // namespace tachyon::search
