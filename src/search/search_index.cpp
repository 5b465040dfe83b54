#include "search/search_index.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <sqlite3.h>

#include "search/index_internals.h"
#include "search/passage_splitter.h"
#include "search/plain_text.h"
#include "search/sqlite_statement.h"
#include "search/url_domain.h"

namespace tachyon::search {
namespace {

namespace fs = std::filesystem;

// 1: pages and passages; 2: passage vectors and their space.
constexpr int kSchemaVersion = 2;
constexpr size_t kMaxReaders = 8;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS pages(
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  domain TEXT NOT NULL,
  date TEXT,
  last_updated TEXT,
  language TEXT NOT NULL,
  n_passages INTEGER NOT NULL,
  indexed_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS pages_by_domain ON pages(domain);
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
  title, body, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS vector_space(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  model TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  query_prefix TEXT NOT NULL,
  passage_prefix TEXT NOT NULL,
  generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS passage_vectors(
  passage INTEGER PRIMARY KEY,
  vector BLOB NOT NULL);
)sql";

// Question words and the commonest English function words: they match nearly every passage
// and only slow the query down.
const std::unordered_set<std::string_view>& stop_words() {
  static const std::unordered_set<std::string_view> kWords = {
      "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "of", "to", "in", "on", "at",
      "by", "for", "with", "and", "or", "but", "what", "whats", "who", "whom", "whose", "which", "how", "why",
      "when", "where", "does", "do", "did", "done", "it", "its", "this", "that", "these", "those", "as", "from",
      "about", "into", "i", "you", "he", "she", "we", "they", "me", "my", "your", "his", "her", "our", "their",
      "them", "him", "there", "here", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
      "not", "no", "so", "if", "then", "than", "too", "very", "s", "t", "just", "tell", "explain", "describe",
      "mean", "means", "define", "some", "any", "all", "has", "have", "had", "one", "someone", "something"};
  return kWords;
}

// SQL domain_match(domain, filter): domain_matches() for the filters in WHERE clauses.
void domain_match_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto* domain = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto* filter = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  sqlite3_result_int(context, domain && filter && domain_matches(domain, filter) ? 1 : 0);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FilterSql filter_sql(const SearchFilters& f, int first_param) {
  FilterSql sql;
  auto param = [&](const std::string& v) {
    sql.values.push_back(v);
    return fmt::format("?{}", int(sql.values.size()) - 1 + first_param);
  };
  if (!f.allow_domains.empty()) {
    std::string any;
    for (const std::string& d : f.allow_domains) any += (any.empty() ? "" : " OR ") + fmt::format("domain_match(pg.domain, {})", param(d));
    sql.conditions.push_back("(" + any + ")");
  }
  for (const std::string& d : f.deny_domains) sql.conditions.push_back(fmt::format("NOT domain_match(pg.domain, {})", param(d)));
  if (f.published_after) sql.conditions.push_back(fmt::format("pg.date >= {}", param(*f.published_after)));
  if (f.published_before) sql.conditions.push_back(fmt::format("pg.date <= {}", param(*f.published_before)));
  if (f.updated_after) sql.conditions.push_back(fmt::format("pg.last_updated >= {}", param(*f.updated_after)));
  if (f.updated_before) sql.conditions.push_back(fmt::format("pg.last_updated <= {}", param(*f.updated_before)));
  if (!f.languages.empty()) {
    std::string in;
    for (const std::string& l : f.languages) in += (in.empty() ? "" : ", ") + param(l);
    sql.conditions.push_back("pg.language IN (" + in + ")");
  }
  return sql;
}

fs::path index_file(const fs::path& data_dir) { return data_dir / "search.db"; }

IndexedPage prepare_page(Page page) {
  IndexedPage indexed;
  indexed.domain = domain_of(page.url);
  indexed.passages = split_passages(page.text);
  if (indexed.passages.size() > size_t(kPassagesPerPage)) indexed.passages.resize(size_t(kPassagesPerPage));
  indexed.page = std::move(page);
  return indexed;
}

std::vector<std::string> content_terms(std::string_view query) {
  const std::vector<std::string> words = query_terms(query);
  std::vector<std::string> kept;
  for (const std::string& w : words)
    if (!stop_words().contains(w) && std::find(kept.begin(), kept.end(), w) == kept.end()) kept.push_back(w);
  if (kept.empty())
    for (const std::string& w : words)
      if (std::find(kept.begin(), kept.end(), w) == kept.end()) kept.push_back(w);
  if (kept.size() > 32) kept.resize(32);
  return kept;
}

std::string match_expression(std::string_view query) {
  std::string expression;
  for (const std::string& w : content_terms(query)) {
    if (!expression.empty()) expression += " OR ";
    expression += '"' + w + '"';
  }
  return expression;
}

double title_match_factor(const std::vector<std::string>& query_words, std::string_view title) {
  // Plural 's' folded so that "hackers" meets "hacker".
  auto fold = [](std::string w) {
    if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') w.pop_back();
    return w;
  };
  std::vector<std::string> q, t;
  for (const std::string& w : query_words) q.push_back(fold(w));
  for (const std::string& w : query_terms(title))
    if (!stop_words().contains(w)) t.push_back(fold(w));
  if (q.empty() || t.empty()) return 1.0;
  auto covered = [](const std::vector<std::string>& of, const std::vector<std::string>& by) {
    size_t n = 0;
    for (const std::string& w : of)
      if (std::find(by.begin(), by.end(), w) != by.end()) ++n;
    return double(n) / double(of.size());
  };
  return 1.0 + 0.5 * covered(q, t) * covered(t, q);
}

SearchIndex::SearchIndex(fs::path file, Mode mode) : file_(std::move(file)), mode_(mode) {}
SearchIndex::~SearchIndex() = default;

Result<std::unique_ptr<SearchIndex::Connection>> SearchIndex::connect() const {
  auto connection = std::make_unique<Connection>();
  const int flags = (mode_ == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file_.c_str(), &connection->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    return make_error(ErrorKind::Internal, "cannot open {}: {}", file_.string(),
                      connection->db ? sqlite3_errmsg(connection->db) : sqlite3_errstr(rc));
  }
  // A writer in another process holds the lock for one transaction at a time.
  sqlite3_busy_timeout(connection->db, 10000);
  sqlite3_create_function(connection->db, "domain_match", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                          domain_match_function, nullptr, nullptr);
  return connection;
}

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const fs::path& file, Mode mode) {
  std::error_code ec;
  if (mode == Mode::ReadOnly && !fs::exists(file, ec))
    return make_error(ErrorKind::NotFound, "no search index at {}", file.string());
  if (mode == Mode::ReadWrite && file.has_parent_path() && !fs::exists(file.parent_path(), ec)) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) return make_error(ErrorKind::Internal, "cannot create {}: {}", file.parent_path().string(), ec.message());
    ::chmod(file.parent_path().c_str(), 0700);
  }
  std::unique_ptr<SearchIndex> index(new SearchIndex(file, mode));
  auto first = index->connect();
  if (!first) return first.error();
  sqlite3* db = (*first)->db;
  if (mode == Mode::ReadWrite) {
    ::chmod(file.c_str(), 0600);
    if (Status s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s) return s.error();
    Statement version(db, "PRAGMA user_version");
    const int64_t v = version.step() == SQLITE_ROW ? version.int_at(0) : 0;
    if (v > kSchemaVersion)
      return make_error(ErrorKind::Internal, "{} was written by a newer tachyon (schema {})", file.string(), v);
    if (v < kSchemaVersion) {
      if (Status s = exec(db, kSchema); !s) return s.error();
      if (Status s = exec(db, fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str()); !s) return s.error();
    }
    index->writer_ = std::move(*first);
  } else {
    Statement version(db, "PRAGMA user_version");
    if (!version.prepared() || version.step() != SQLITE_ROW) return version.error();
    // Schema 1 (no vectors yet) reads as an index without vectors.
    if (version.int_at(0) < 1 || version.int_at(0) > kSchemaVersion)
      return make_error(ErrorKind::Internal, "{} has schema {}, this tachyon reads 1 to {}", file.string(),
                        version.int_at(0), kSchemaVersion);
    index->readers_.push_back(std::move(*first));
  }
  return index;
}

std::unique_ptr<SearchIndex::Connection> SearchIndex::take_reader() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  auto c = connect();
  return c ? std::move(*c) : nullptr;
}

void SearchIndex::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(pool_mutex_);
  if (readers_.size() < kMaxReaders) readers_.push_back(std::move(connection));
}

SearchIndex::Borrowed::~Borrowed() {
  if (owned) index->give_back(std::move(owned));
}

SearchIndex::Borrowed SearchIndex::borrow() {
  Borrowed b;
  b.index = this;
  if (mode_ == Mode::ReadWrite) {
    b.write_lock = std::unique_lock(write_mutex_);
    b.db = writer_->db;
  } else {
    b.owned = take_reader();
    if (b.owned) b.db = b.owned->db;
  }
  return b;
}

Status SearchIndex::add(std::span<const IndexedPage> pages) {
  if (mode_ != Mode::ReadWrite) return make_error(ErrorKind::Internal, "the search index is open read-only");
  std::lock_guard lock(write_mutex_);
  sqlite3* db = writer_->db;
  if (Status s = exec(db, "BEGIN IMMEDIATE"); !s) return s;
  Statement find(db, "SELECT id FROM pages WHERE url = ?1");
  Statement drop_passages(db, "DELETE FROM passages WHERE rowid BETWEEN ?1 AND ?2");
  Statement drop_vectors(db, "DELETE FROM passage_vectors WHERE passage BETWEEN ?1 AND ?2");
  Statement drop_page(db, "DELETE FROM pages WHERE id = ?1");
  Statement insert_page(db,
                        "INSERT INTO pages(url, title, domain, date, last_updated, language, n_passages, indexed_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  Statement insert_passage(db, "INSERT INTO passages(rowid, title, body) VALUES (?1, ?2, ?3)");
  const int64_t indexed_ms = now_ms();
  auto fail = [&](const Statement& s) {
    Error e = s.error();
    (void)exec(db, "ROLLBACK");
    return e;
  };
  for (const IndexedPage& p : pages) {
    find.bind(1, p.page.url);
    if (find.step() == SQLITE_ROW) {
      const int64_t old = find.int_at(0);
      drop_passages.bind(1, old * kPassagesPerPage);
      drop_passages.bind(2, old * kPassagesPerPage + kPassagesPerPage - 1);
      if (drop_passages.step() != SQLITE_DONE) return fail(drop_passages);
      drop_passages.reset();
      drop_vectors.bind(1, old * kPassagesPerPage);
      drop_vectors.bind(2, old * kPassagesPerPage + kPassagesPerPage - 1);
      if (drop_vectors.step() != SQLITE_DONE) return fail(drop_vectors);
      drop_vectors.reset();
      drop_page.bind(1, old);
      if (drop_page.step() != SQLITE_DONE) return fail(drop_page);
      drop_page.reset();
    }
    find.reset();
    insert_page.bind(1, p.page.url);
    insert_page.bind(2, p.page.title);
    insert_page.bind(3, p.domain);
    insert_page.bind(4, p.page.date);
    insert_page.bind(5, p.page.last_updated);
    insert_page.bind(6, p.page.language);
    insert_page.bind(7, int64_t(p.passages.size()));
    insert_page.bind(8, indexed_ms);
    if (insert_page.step() != SQLITE_DONE) return fail(insert_page);
    insert_page.reset();
    const int64_t page_id = sqlite3_last_insert_rowid(db);
    for (size_t k = 0; k < p.passages.size(); ++k) {
      insert_passage.bind(1, page_id * kPassagesPerPage + int64_t(k));
      insert_passage.bind(2, p.page.title);
      insert_passage.bind(3, p.passages[k]);
      if (insert_passage.step() != SQLITE_DONE) return fail(insert_passage);
      insert_passage.reset();
    }
  }
  if (Status s = exec(db, kNewVectorGeneration); !s) {
    (void)exec(db, "ROLLBACK");
    return s;
  }
  return exec(db, "COMMIT");
}

Result<bool> SearchIndex::remove(const std::string& url) {
  if (mode_ != Mode::ReadWrite) return make_error(ErrorKind::Internal, "the search index is open read-only");
  std::lock_guard lock(write_mutex_);
  sqlite3* db = writer_->db;
  if (Status s = exec(db, "BEGIN IMMEDIATE"); !s) return s.error();
  Statement find(db, "SELECT id FROM pages WHERE url = ?1");
  find.bind(1, url);
  if (find.step() != SQLITE_ROW) {
    (void)exec(db, "ROLLBACK");
    return false;
  }
  const int64_t id = find.int_at(0);
  Statement drop_passages(db, "DELETE FROM passages WHERE rowid BETWEEN ?1 AND ?2");
  drop_passages.bind(1, id * kPassagesPerPage);
  drop_passages.bind(2, id * kPassagesPerPage + kPassagesPerPage - 1);
  Statement drop_vectors(db, "DELETE FROM passage_vectors WHERE passage BETWEEN ?1 AND ?2");
  drop_vectors.bind(1, id * kPassagesPerPage);
  drop_vectors.bind(2, id * kPassagesPerPage + kPassagesPerPage - 1);
  Statement drop_page(db, "DELETE FROM pages WHERE id = ?1");
  drop_page.bind(1, id);
  if (drop_passages.step() != SQLITE_DONE || drop_vectors.step() != SQLITE_DONE || drop_page.step() != SQLITE_DONE ||
      !exec(db, kNewVectorGeneration)) {
    Error e = drop_page.error();
    (void)exec(db, "ROLLBACK");
    return e;
  }
  if (Status s = exec(db, "COMMIT"); !s) return s.error();
  return true;
}

Result<IndexStats> SearchIndex::stats() {
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  sqlite3* db = borrowed.db;
  IndexStats stats;
  Statement totals(db, "SELECT count(*), coalesce(sum(n_passages), 0) FROM pages");
  if (totals.step() != SQLITE_ROW) return totals.error();
  stats.n_pages = totals.int_at(0);
  stats.n_passages = totals.int_at(1);
  Statement domains(db, "SELECT domain, count(*) AS n FROM pages GROUP BY domain ORDER BY n DESC, domain LIMIT 10");
  while (domains.step() == SQLITE_ROW) stats.top_domains.emplace_back(domains.text_at(0), domains.int_at(1));
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    const auto n = fs::file_size(file_.string() + suffix, ec);
    if (!ec) stats.n_bytes += int64_t(n);
  }
  return stats;
}

Result<std::vector<SearchHit>> SearchIndex::search(const SearchQuery& query) {
  const std::string match = match_expression(query.text);
  if (match.empty() || query.max_results <= 0) return std::vector<SearchHit>{};
  Borrowed borrowed = borrow();
  if (!borrowed.db) return make_error(ErrorKind::Internal, "cannot open {}", file_.string());
  sqlite3* db = borrowed.db;

  // The filters, as conditions on the page row; parameters from ?3 on.
  const FilterSql filters = filter_sql(query.filters, 3);
  const std::vector<std::string>& conditions = filters.conditions;
  const std::vector<std::string>& values = filters.values;
  const std::string rank = fmt::format("bm25(passages, {}, {})", weights_.title, weights_.body);
  std::string sql;
  if (conditions.empty()) {
    sql = fmt::format("SELECT rowid, {} AS score FROM passages WHERE passages MATCH ?1 ORDER BY score LIMIT ?2", rank);
  } else {
    std::string where;
    for (const std::string& c : conditions) where += " AND " + c;
    // CROSS JOIN keeps the full-text match as the outer loop; each hit's page is a rowid lookup.
    sql = fmt::format("SELECT passages.rowid, {} AS score FROM passages CROSS JOIN pages pg "
                      "ON pg.id = (passages.rowid >> 16) WHERE passages MATCH ?1{} ORDER BY score LIMIT ?2",
                      rank, where);
  }
  Statement ranked(db, sql);
  if (!ranked.prepared()) return ranked.error();

  // Candidates: the best-ranked passages, more than pages wanted, and more again when too many
  // share pages. Each page is then scored by its best passage (the opening passage slightly
  // preferred) times its title's match with the query (title_match_factor).
  const std::vector<std::string> words = content_terms(query.text);
  Statement page(db, "SELECT url, title, date, last_updated, domain, language FROM pages WHERE id = ?1");
  struct Candidate {
    int64_t passage_id = 0;
    double score = 0;
    SearchHit hit;
  };
  std::unordered_map<int64_t, Candidate> by_page;
  int64_t limit = std::max<int64_t>(50, int64_t(query.max_results) * 5);
  while (true) {
    by_page.clear();
    ranked.bind(1, match);
    ranked.bind(2, limit);
    for (size_t k = 0; k < values.size(); ++k) ranked.bind(int(k) + 3, values[k]);
    int64_t n_rows = 0;
    int rc;
    while ((rc = ranked.step()) == SQLITE_ROW) {
      ++n_rows;
      const int64_t passage_id = ranked.int_at(0);
      const int64_t page_id = passage_id / kPassagesPerPage;
      const double score = -ranked.double_at(1) * (passage_id % kPassagesPerPage == 0 ? 1.1 : 1.0);
      auto [it, inserted] = by_page.try_emplace(page_id);
      Candidate& c = it->second;
      if (inserted) {
        page.bind(1, page_id);
        if (page.step() == SQLITE_ROW) {
          c.hit.url = page.text_at(0);
          c.hit.title = page.text_at(1);
          c.hit.date = page.optional_text_at(2);
          c.hit.last_updated = page.optional_text_at(3);
          c.hit.domain = page.text_at(4);
          c.hit.language = page.text_at(5);
        }
        page.reset();
      } else if (score <= c.score) {
        continue;
      }
      c.passage_id = passage_id;
      c.score = score;
    }
    if (rc != SQLITE_DONE) return ranked.error();
    ranked.reset();
    if (int64_t(by_page.size()) >= query.max_results || n_rows < limit) break;
    limit *= 4;
  }

  std::vector<Candidate> ordered;
  for (auto& [page_id, c] : by_page) {
    if (c.hit.url.empty()) continue;  // removed between the statements
    c.score *= title_match_factor(words, c.hit.title);
    ordered.push_back(std::move(c));
  }
  std::sort(ordered.begin(), ordered.end(), [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.passage_id < b.passage_id;
  });
  if (ordered.size() > size_t(query.max_results)) ordered.resize(size_t(query.max_results));
  std::vector<SearchHit> hits;
  Statement body(db, "SELECT body FROM passages WHERE rowid = ?1");
  for (Candidate& c : ordered) {
    body.bind(1, c.passage_id);
    if (body.step() == SQLITE_ROW) c.hit.snippet = body.text_at(0);
    body.reset();
    c.hit.score = c.score;
    hits.push_back(std::move(c.hit));
  }
  return hits;
}

}  // namespace tachyon::search
