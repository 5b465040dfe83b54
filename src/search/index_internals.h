#pragma once
// What the search index's source files share: the passage numbering, the filters as SQL, the
// connection type. Internal to search/.
#include <string>
#include <vector>

#include "search/search_index.h"
#include "search/sqlite_statement.h"

namespace tachyon::search {

// A page's passages are rowids page_id * kPassagesPerPage + ordinal.
constexpr int64_t kPassagesPerPage = int64_t{1} << 16;

// Every write that changes which vectors exist moves the generation on, so that readers in any
// process reload them.
constexpr const char* kNewVectorGeneration = "UPDATE vector_space SET generation = generation + 1";

// The filters of a search as SQL conditions on the page row `pg`, with their parameters
// numbered from first_param.
struct FilterSql {
  std::vector<std::string> conditions;
  std::vector<std::string> values;
};

FilterSql filter_sql(const SearchFilters& f, int first_param);

struct SearchIndex::Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

}  // namespace tachyon::search
