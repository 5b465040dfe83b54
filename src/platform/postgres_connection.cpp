#include "platform/postgres_connection.h"

#include <charconv>

#include <libpq-fe.h>

namespace tachyon::platform::pg {
namespace {

// The password as written in a postgresql:// URL: after the first ':' of the user part (which
// ends, as libpq reads it, at the first '@' or '/'), and in `password=` query parameters.
// Returns [begin, end) offsets into the URL.
std::vector<std::pair<size_t, size_t>> password_spans(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> out;
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return out;
  const size_t start = scheme + 3;
  const size_t stop = url.find_first_of("@/", start);
  if (stop != std::string_view::npos && url[stop] == '@') {
    const size_t colon = url.find(':', start);
    if (colon < stop) out.emplace_back(colon + 1, stop);
  }
  const size_t query = url.find('?', start);
  for (size_t p = query; p != std::string_view::npos && p < url.size();) {
    const size_t begin = p + 1;
    const size_t amp = url.find('&', begin);
    const size_t end = amp == std::string_view::npos ? url.size() : amp;
    constexpr std::string_view kKey = "password=";
    if (url.substr(begin, kKey.size()) == kKey) out.emplace_back(begin + kKey.size(), end);
    p = amp;
  }
  return out;
}

// Every way the password of `url` could appear in a libpq message: as written, and decoded.
std::vector<std::string> passwords_of(const std::string& url) {
  std::vector<std::string> out;
  for (auto [begin, end] : password_spans(url))
    if (end > begin) out.push_back(url.substr(begin, end - begin));
  if (PQconninfoOption* options = PQconninfoParse(url.c_str(), nullptr)) {
    for (PQconninfoOption* o = options; o->keyword; ++o)
      if (std::string_view(o->keyword) == "password" && o->val && *o->val) out.emplace_back(o->val);
    PQconninfoFree(options);
  }
  return out;
}

// A libpq message on one line, with the URL's password removed wherever it appears.
std::string clean_message(std::string message, const std::vector<std::string>& passwords) {
  for (const std::string& secret : passwords)
    for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at))
      message.replace(at, secret.size(), "***");
  for (char& c : message)
    if (c == '\n' || c == '\t') c = ' ';
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::string squeezed;
  for (char c : message)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed += c;
  return squeezed;
}

int64_t parse_integer(const char* text) {
  int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto spans = password_spans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) out.replace(it->first, it->second - it->first, "***");
  return out;
}

Param param(int64_t value) { return std::to_string(value); }
Param param(const std::optional<int64_t>& value) { return value ? param(*value) : std::nullopt; }
Param param(std::string_view value) { return std::string(value); }
Param param(bool value) { return std::string(value ? "true" : "false"); }

Rows::Rows(pg_result* result) : result_(result, PQclear) {}

int Rows::size() const { return PQntuples(result_.get()); }

std::string Rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column), size_t(PQgetlength(result_.get(), row, column)));
}

int64_t Rows::integer(int row, int column) const { return parse_integer(PQgetvalue(result_.get(), row, column)); }

std::optional<int64_t> Rows::optional_integer(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return std::nullopt;
  return integer(row, column);
}

bool Rows::boolean(int row, int column) const { return PQgetvalue(result_.get(), row, column)[0] == 't'; }

int64_t Rows::changed() const { return parse_integer(PQcmdTuples(result_.get())); }

Result<std::unique_ptr<Connection>> Connection::open(const std::string& url) {
  // Defaults the URL's own parameters override: expanded from `dbname`, they come later.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "tachyon", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (!conn) return make_error(ErrorKind::Internal, "cannot connect to {}: out of memory", redact_url(url));
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = clean_message(PQerrorMessage(conn), passwords_of(url));
    PQfinish(conn);
    return make_error(ErrorKind::Internal, "cannot connect to {}: {}", redact_url(url), message);
  }
  // Notices ("relation already exists, skipping") are not for the server's log.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) == CONNECTION_BAD; }

Error Connection::error_of(pg_result* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = clean_message(primary ? primary : PQerrorMessage(conn_), {});
  // 23505: unique_violation.
  const ErrorKind kind = state && std::string_view(state) == "23505" ? ErrorKind::Conflict : ErrorKind::Internal;
  return make_error(kind, "database: {}", message.empty() ? "no answer from the server" : message);
}

Status Connection::exec(const char* sql) {
  PGresult* result = PQexec(conn_, sql);
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(result);
    return Status::success();
  }
  Error e = error_of(result);
  PQclear(result);
  return e;
}

Result<Rows> Connection::query(const std::string& sql, const std::vector<Param>& params) {
  auto prepared = prepared_.find(sql);
  if (prepared == prepared_.end()) {
    std::string name = fmt::format("s{}", prepared_.size() + 1);
    PGresult* result = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) {
      Error e = error_of(result);
      PQclear(result);
      return e;
    }
    PQclear(result);
    prepared = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result =
      PQexecPrepared(conn_, prepared->second.c_str(), int(values.size()), values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(result);
  Error e = error_of(result);
  PQclear(result);
  return e;
}

Pool::Pool(std::string url, size_t max_connections) : url_(std::move(url)), max_connections_(max_connections) {}

Result<std::unique_ptr<Connection>> Pool::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || n_open_ < max_connections_; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  ++n_open_;
  lock.unlock();
  auto opened = Connection::open(url_);
  if (!opened) {
    lock.lock();
    --n_open_;
    returned_.notify_one();
  }
  return opened;
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection->broken()) --n_open_;
  else idle_.push_back(std::move(connection));
  returned_.notify_one();
}

void Pool::close_idle() {
  std::lock_guard lock(mutex_);
  n_open_ -= idle_.size();
  idle_.clear();
  returned_.notify_all();
}

Result<std::unique_ptr<Connection>> Pool::begin() {
  for (int attempt = 0;; ++attempt) {
    auto connection = acquire();
    if (!connection) return connection.error();
    Status begun = (*connection)->exec("BEGIN");
    if (begun) return connection;
    const bool dropped = (*connection)->broken();
    give_back(std::move(*connection));
    if (!dropped || attempt > 0) return begun.error();
    close_idle();
  }
}

Status Pool::end(std::unique_ptr<Connection> connection, bool commit) {
  Status ended = connection->exec(commit ? "COMMIT" : "ROLLBACK");
  give_back(std::move(connection));
  return commit ? ended : Status::success();
}

}  // namespace tachyon::platform::pg
