#pragma once
// The Store on PostgreSQL: one database that several tachyon servers (replicas) share, so that a
// key created through one is honoured by all, usage from all lands in one table, and any replica
// runs any async job, exactly once while its lease is renewed. Numbered schema migrations are
// applied at open in one transaction under an advisory lock, so replicas starting together
// migrate once. Connections come from a small pool and are reopened after a dropped one.
#include <memory>
#include <string>
#include <string_view>

#include "platform/store.h"

namespace tachyon::platform {

// The schema version this build writes and reads (the `schema_version` table's highest row).
inline constexpr int kPostgresSchemaVersion = 2;

// Whether `url` names a PostgreSQL database: postgresql://... or postgres://...
bool is_postgres_url(std::string_view url);

// `url` with its password replaced by "***", for messages.
std::string redact_database_url(std::string_view url);

// Connects to the database at `url` (libpq's URI form, e.g.
// postgresql://tachyon:secret@db.internal:5432/tachyon?sslmode=require) and migrates it to
// kPostgresSchemaVersion. `max_connections`: most sessions this store opens at once. Fails when
// the database cannot be reached or was written by a newer tachyon; messages never hold the
// password.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, size_t max_connections = 4);

}  // namespace tachyon::platform
