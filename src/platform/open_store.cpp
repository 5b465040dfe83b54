#include "platform/open_store.h"

#include <fmt/format.h>

#include "platform/postgres_store.h"
#include "platform/sqlite_store.h"

namespace tachyon::platform {

Result<std::unique_ptr<Store>> open_store(const std::filesystem::path& data_dir, const std::string& database_url) {
  if (database_url.empty()) return open_sqlite_store(data_dir);
  if (is_postgres_url(database_url)) return open_postgres_store(database_url);
  return make_error(ErrorKind::InvalidArgument, "database URL '{}': expected postgresql://... or postgres://...",
                    redact_database_url(database_url));
}

std::string store_location(const std::filesystem::path& data_dir, const std::string& database_url) {
  if (database_url.empty()) return fmt::format("data directory {}", data_dir.string());
  return fmt::format("database {}", redact_database_url(database_url));
}

bool store_is_shared(const std::string& database_url) { return !database_url.empty(); }

}  // namespace tachyon::platform
