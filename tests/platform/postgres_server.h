#pragma once
// A throwaway PostgreSQL server for tests: scripts/pg_test_server.sh starts it in a fresh temp
// folder on a free 127.0.0.1 port (as the postgres system user when the tests run as root), and
// the destructor stops it and removes the folder. Each test takes its own empty database.
#include <filesystem>
#include <memory>
#include <string>

#include "util/result.h"

namespace tachyon::platform::testing {

class PostgresServer {
 public:
  // Starts a server. Unavailable when PostgreSQL 15 is not installed (the message says so:
  // tests skip); Internal when it is and would not start.
  static Result<std::unique_ptr<PostgresServer>> start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The superuser's URL to the `postgres` database.
  const std::string& url() const { return url_; }
  int port() const { return port_; }

  // Creates a new empty database and returns its URL. Thread-safe.
  Result<std::string> create_database();

 private:
  PostgresServer(std::filesystem::path dir, int port, std::string url)
      : dir_(std::move(dir)), port_(port), url_(std::move(url)) {}

  std::filesystem::path dir_;
  int port_;
  std::string url_;
};

// The one server of this test binary, started on first use and stopped at exit; the error of
// that first start, every time, when it failed.
Result<PostgresServer*> shared_postgres_server();

// Runs SQL on the database at `url` and returns the first column of the first row ("" when it
// returns no rows): for tests that look past the store's interface.
Result<std::string> query_value(const std::string& url, const std::string& sql);

}  // namespace tachyon::platform::testing
