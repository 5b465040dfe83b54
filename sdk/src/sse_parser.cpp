#include "tachyon/client/sse_parser.h"

namespace tachyon::client {

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the second half of "\r\n"
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      line_done(out);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::line_done(std::vector<SseEvent>& out) {
  if (line_.empty()) {  // a blank line ends the event
    if (has_data_) out.push_back(std::move(pending_));
    pending_ = {};
    has_data_ = false;
    return;
  }
  if (line_.front() == ':') return;  // a comment
  std::string_view line(line_);
  auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event = value;
  } else if (field == "id") {
    pending_.id = value;
  }
}

}  // namespace tachyon::client
