#pragma once
// The Store on SQLite: one database file `tachyon.db` in the data directory, in WAL mode, with
// numbered schema migrations applied at open and the schema version checked.
#include <filesystem>
#include <memory>

#include "platform/store.h"

namespace tachyon::platform {

// The schema version this build writes and reads.
inline constexpr int kSqliteSchemaVersion = 6;

// The data directory when none is given.
inline constexpr const char* kDefaultDataDir = "./tachyon-data";

// Creates `dir` (mode 0700) when missing, opens or creates its database and migrates it to
// kSqliteSchemaVersion. Fails when the database was written by a newer tachyon.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& dir);

}  // namespace tachyon::platform
