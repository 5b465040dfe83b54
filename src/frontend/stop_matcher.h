#pragma once
// Stop strings on the way out: generated text is streamed through a StopMatcher, which finds any
// of the request's stop strings even when one is split across several tokens.
#include <string>
#include <string_view>
#include <vector>

namespace tachyon {

// Streams generated text through, matching any of the stop strings even when one spans several
// tokens. Text that could still turn out to begin a stop string is held back until it cannot.
// One instance per request; not thread-safe.
class StopMatcher {
 public:
  // Empty stop strings are ignored (they would match before any text).
  explicit StopMatcher(std::vector<std::string> stops);

  // text: safe to emit now. stopped: a stop string was found; text then ends just before it.
  struct Output {
    std::string text;
    bool stopped;
  };

  // Appends new_text. After a stop, text is everything before the stop that was not emitted
  // yet, the stop string itself is never emitted (OpenAI semantics), and later pushes return
  // {"", true}. A trailing incomplete UTF-8 sequence is also held back, so that emitted chunks
  // stay valid UTF-8 when the input as a whole is.
  Output push(std::string_view new_text);

  // At end of generation: releases whatever is held back (empty after a stop).
  std::string flush();

  bool stopped() const { return stopped_; }

 private:
  // Bytes at the end of pending_ that must wait for more text.
  size_t held_back_length() const;

  std::vector<std::string> stops_;
  size_t max_stop_length_ = 0;
  std::string pending_;  // received but not yet emitted; contains no complete stop string
  bool stopped_ = false;
};

}  // namespace tachyon
