#pragma once
// Small RAII helpers over the SQLite C API for the search index's files: a prepared statement
// with typed binds and columns, and exec() for statements without results. Internal to search/.
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "util/result.h"

namespace tachyon::search {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, std::string_view v) { sqlite3_bind_text(stmt_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, const std::optional<std::string>& v) {
    if (v) bind(i, std::string_view(*v));
    else sqlite3_bind_null(stmt_, i);
  }
  void bind_blob(int i, const void* data, size_t n) { sqlite3_bind_blob(stmt_, i, data, int(n), SQLITE_TRANSIENT); }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t int_at(int c) const { return sqlite3_column_int64(stmt_, c); }
  double double_at(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text_at(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, size_t(sqlite3_column_bytes(stmt_, c))) : std::string();
  }
  std::optional<std::string> optional_text_at(int c) const {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL) return std::nullopt;
    return text_at(c);
  }
  // The column's bytes, valid until the next step() or reset().
  std::string_view blob_at(int c) const {
    const void* p = sqlite3_column_blob(stmt_, c);
    return p ? std::string_view(static_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt_, c))) : std::string_view();
  }
  Error error() const { return make_error(ErrorKind::Internal, "search index: {}", sqlite3_errmsg(db_)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

inline Status exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Error e = make_error(ErrorKind::Internal, "search index: {}", message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return e;
  }
  return Status::success();
}

}  // namespace tachyon::search
