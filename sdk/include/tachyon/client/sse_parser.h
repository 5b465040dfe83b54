// An incremental parser of server-sent events (the text/event-stream format of the HTML standard):
// bytes go in as they arrive, split anywhere, and whole events come out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tachyon::client {

struct SseEvent {
  std::string event;  // the "event:" field; "" means "message"
  std::string data;   // the "data:" lines joined with "\n"
  std::string id;
};

// Not thread-safe; one per stream.
class SseParser {
 public:
  // Parses `bytes` (any split of the stream, "\n", "\r\n" or "\r" line ends) and appends every event
  // they complete to `out`. Comment lines (":") and unknown fields are skipped.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);

 private:
  void line_done(std::vector<SseEvent>& out);

  std::string line_;
  bool after_cr_ = false;  // the last byte was '\r': a following '\n' belongs to the same line end
  SseEvent pending_;
  bool has_data_ = false;
};

}  // namespace tachyon::client
