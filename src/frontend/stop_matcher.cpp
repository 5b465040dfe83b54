#include "frontend/stop_matcher.h"

#include <algorithm>

namespace tachyon {
namespace {

// Length of the incomplete UTF-8 sequence at the end of text (0 if it ends on a character
// boundary). Malformed bytes count as complete so that they are passed on, not held forever.
size_t incomplete_utf8_tail(std::string_view text) {
  const size_t n = text.size();
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t sequence_length = 1;
    if ((byte & 0xE0) == 0xC0) sequence_length = 2;
    else if ((byte & 0xF0) == 0xE0) sequence_length = 3;
    else if ((byte & 0xF8) == 0xF0) sequence_length = 4;
    return sequence_length > back ? back : 0;
  }
  return 0;
}

}  // namespace

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (std::string& stop : stops) {
    if (stop.empty()) continue;
    max_stop_length_ = std::max(max_stop_length_, stop.size());
    stops_.push_back(std::move(stop));
  }
}

StopMatcher::Output StopMatcher::push(std::string_view new_text) {
  if (stopped_) return {"", true};
  pending_.append(new_text);

  // pending_ holds no complete stop before this push, and everything already emitted could not
  // start one, so any match lies inside pending_. The earliest start wins.
  size_t stop_at = std::string::npos;
  for (const std::string& stop : stops_) {
    stop_at = std::min(stop_at, pending_.find(stop));
  }
  if (stop_at != std::string::npos) {
    stopped_ = true;
    Output out{pending_.substr(0, stop_at), true};
    pending_.clear();
    return out;
  }

  const size_t emit_length = pending_.size() - held_back_length();
  Output out{pending_.substr(0, emit_length), false};
  pending_.erase(0, emit_length);
  return out;
}

std::string StopMatcher::flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

size_t StopMatcher::held_back_length() const {
  // The longest suffix of pending_ that is a proper prefix of some stop string; a longer one
  // would be a complete stop, which push() has already ruled out.
  const std::string_view pending = pending_;
  size_t held = 0;
  const size_t longest_possible =
      max_stop_length_ == 0 ? 0 : std::min(pending.size(), max_stop_length_ - 1);
  for (size_t length = longest_possible; length > 0; --length) {
    const std::string_view suffix = pending.substr(pending.size() - length);
    const bool could_start_stop = std::any_of(stops_.begin(), stops_.end(), [&](const auto& s) {
      return std::string_view(s).starts_with(suffix);
    });
    if (could_start_stop) {
      held = length;
      break;
    }
  }
  return std::max(held, incomplete_utf8_tail(pending));
}

}  // namespace tachyon
