#pragma once
// Which refusals over a key's rate limits get a usage row of their own. A refusal's row lets its
// client's request id be looked up like any other, but a client that hammers past its limit
// would grow the usage table at its own rate: so each key's first few refusals in a minute get
// rows, and the rest of that minute's are only counted (RefusalCount), one count per key,
// endpoint and minute.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tachyon::platform {

inline constexpr int64_t kItemizedRefusalsPerMinute = 10;

// The minute (UTC) an instant falls in, as its first millisecond.
inline int64_t minute_of(int64_t ms) { return ms - ((ms % 60'000) + 60'000) % 60'000; }

// Thread-safe.
class RefusalTally {
 public:
  explicit RefusalTally(int64_t itemized_per_minute = kItemizedRefusalsPerMinute);

  // True when this refusal of `key_id` at `now_ms` is one of its first itemized_per_minute in
  // that minute and gets a row; false when it is only counted.
  bool itemize(const std::string& key_id, int64_t now_ms);

 private:
  struct Minute {
    int64_t start_ms = 0;
    int64_t refusals = 0;
  };

  int64_t itemized_per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::string, Minute> keys_;  // keys refused lately
};

}  // namespace tachyon::platform
