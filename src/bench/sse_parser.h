#pragma once
// Incremental parser for a text/event-stream body: bytes arrive in arbitrary pieces (one network
// read may end mid-line or hold several events) and complete events come out in order.
// One instance per stream; not thread-safe.
#include <string>
#include <string_view>
#include <vector>

namespace tachyon::bench {

class SseParser {
 public:
  // Consumes the next piece of the body and returns the data of every event it completed (the
  // event's "data:" lines joined by '\n'). Comments, other fields and data-less events are
  // dropped. Accepts LF, CRLF and CR line ends.
  std::vector<std::string> feed(std::string_view bytes);

 private:
  void finish_line(std::vector<std::string>& events);

  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool last_was_cr_ = false;
};

}  // namespace tachyon::bench
