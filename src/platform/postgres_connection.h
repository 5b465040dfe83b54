#pragma once
// One PostgreSQL database reached through libpq, for PostgresStore: connections that prepare
// each statement once, a small pool of them shared by threads, and transactions that open a fresh
// connection when the pooled one was dropped (a database restart, an idle timeout). No other
// file sees libpq. Error messages never hold the URL's password.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "util/result.h"

struct pg_conn;
struct pg_result;

namespace tachyon::platform::pg {

// The URL with its password (in the user part or a `password=` parameter) replaced by "***",
// for messages and logs.
std::string redact_url(std::string_view url);

// A statement parameter in PostgreSQL's text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;
Param param(int64_t value);
Param param(const std::optional<int64_t>& value);
Param param(std::string_view value);
Param param(bool value);

// What one statement returned. Rows and columns count from 0.
class Rows {
 public:
  explicit Rows(pg_result* result);
  int size() const;
  std::string text(int row, int column) const;
  int64_t integer(int row, int column) const;
  std::optional<int64_t> optional_integer(int row, int column) const;
  bool boolean(int row, int column) const;
  // How many rows an INSERT, UPDATE or DELETE changed.
  int64_t changed() const;

 private:
  std::shared_ptr<pg_result> result_;
};

// One session. Not thread-safe: a Pool hands it to one thread at a time.
class Connection {
 public:
  // Connects; the URL may be any libpq connection URI (postgresql://...).
  static Result<std::unique_ptr<Connection>> open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs constant SQL text, one statement or several, without parameters: transaction control
  // and schema migrations. Never SQL that holds values.
  Status exec(const char* sql);
  // Runs one statement with parameters $1, $2, ..., prepared on this connection the first time
  // this text is run. Errors: Conflict for a unique-key violation, Internal otherwise.
  Result<Rows> query(const std::string& sql, const std::vector<Param>& params = {});
  // Whether the session is gone (the server closed it or the network failed).
  bool broken() const;

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Error error_of(pg_result* result) const;

  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// Up to `max_connections` connections, opened when first needed and kept. Thread-safe.
class Pool {
 public:
  Pool(std::string url, size_t max_connections);

  // Runs `body(Connection&)` in one transaction: committed when it returns ok, rolled back
  // otherwise. `body` returns a Status or a Result<T>, which transaction() returns (or the error
  // of BEGIN or COMMIT). Blocks while every connection is in use.
  template <typename Body>
  auto transaction(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
    auto begun = begin();
    if (!begun) return begun.error();
    auto out = body(**begun);
    Status ended = end(std::move(*begun), out.ok());
    if (out.ok() && !ended.ok()) return ended.error();
    return out;
  }

 private:
  // A connection with BEGIN run on it. A pooled connection found dropped is replaced by a fresh
  // one (once), and the other idle ones are closed, since they are likely dropped too.
  Result<std::unique_ptr<Connection>> begin();
  // COMMIT (commit) or ROLLBACK, then back to the pool unless broken.
  Status end(std::unique_ptr<Connection> connection, bool commit);
  Result<std::unique_ptr<Connection>> acquire();
  void give_back(std::unique_ptr<Connection> connection);
  void close_idle();

  std::string url_;
  size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t n_open_ = 0;  // idle and in use
};

}  // namespace tachyon::platform::pg
