#pragma once
// The one way the server and the CLI open the platform store: SQLite in the data directory, or
// the PostgreSQL database that replicas share when a database URL is given (`--database`,
// TACHYON_DATABASE_URL).
#include <filesystem>
#include <memory>
#include <string>

#include "platform/store.h"

namespace tachyon::platform {

// SqliteStore in `data_dir` when `database_url` is empty; PostgresStore for a postgresql:// or
// postgres:// URL; an InvalidArgument error for any other URL.
Result<std::unique_ptr<Store>> open_store(const std::filesystem::path& data_dir, const std::string& database_url);

// Where open_store keeps things, for messages: "data directory DIR" or "database URL" with the
// password hidden.
std::string store_location(const std::filesystem::path& data_dir, const std::string& database_url);

// Whether servers may share the store: a PostgreSQL database, where replicas run at once.
// A SQLite data directory belongs to one server.
bool store_is_shared(const std::string& database_url);

}  // namespace tachyon::platform
