#include "postgres_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>

#include <libpq-fe.h>

namespace tachyon::platform::testing {
namespace {

// A port no one listens on now (the kernel's pick); another process may take it before the
// server does, so start() tries a few.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

struct ScriptRun {
  int exit_code = -1;
  std::string out;  // stdout; stderr goes to the test's
};

// Runs the server script with its arguments (paths made by this file, numbers).
ScriptRun run_script(const std::string& action, const std::filesystem::path& dir, int port) {
  const std::string command = "'" TACHYON_PG_TEST_SERVER "' " + action + " '" + dir.string() + "' " + std::to_string(port);
  ScriptRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[256];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!run.out.empty() && (run.out.back() == '\n' || run.out.back() == ' ')) run.out.pop_back();
  return run;
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start() {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("tachyon-pg-" + std::to_string(rd()) + std::to_string(rd()));
  ScriptRun run;
  int port = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port = free_port();
    run = run_script("start", dir, port);
    if (run.exit_code == 0 || run.exit_code == 77) break;
    run_script("stop", dir, port);
  }
  if (run.exit_code == 77) return make_error(ErrorKind::Unavailable, "PostgreSQL 15 is not installed: the PostgreSQL cases are skipped");
  if (run.exit_code != 0) {
    run_script("stop", dir, port);
    return make_error(ErrorKind::Internal, "the test PostgreSQL server did not start (exit {}; its log is above)",
                      run.exit_code);
  }
  return std::unique_ptr<PostgresServer>(new PostgresServer(dir, port, run.out));
}

PostgresServer::~PostgresServer() { run_script("stop", dir_, port_); }

Result<std::string> PostgresServer::create_database() {
  static std::atomic<int> n_created{0};
  const std::string name = "test_" + std::to_string(++n_created);
  if (auto created = query_value(url_, "CREATE DATABASE " + name); !created) return created.error();
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, name);
}

Result<PostgresServer*> shared_postgres_server() {
  static std::once_flag once;
  static Result<std::unique_ptr<PostgresServer>> server = Error{};
  std::call_once(once, [] { server = PostgresServer::start(); });
  if (!server) return server.error();
  return server->get();
}

Result<std::string> query_value(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Error e = make_error(ErrorKind::Internal, "{}", PQerrorMessage(conn));
    PQfinish(conn);
    return e;
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  Result<std::string> out = std::string();
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) out = std::string(PQgetvalue(result, 0, 0));
  else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    out = make_error(ErrorKind::Internal, "{}: {}", sql, PQresultErrorMessage(result));
  PQclear(result);
  PQfinish(conn);
  return out;
}

}  // namespace tachyon::platform::testing
