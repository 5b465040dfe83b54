#pragma once
// X-Request-ID handling: keep a well-formed client id so logs on both sides correlate,
// otherwise mint a fresh random one.
#include <string>
#include <string_view>

namespace tachyon {

// A new random id, 32 lowercase hex digits (128 bits). Safe to call from any thread.
std::string generate_request_id();

// True when a client-supplied id is short and made of visible ASCII, so it can be
// echoed in a header and written to logs without escaping.
bool is_acceptable_request_id(std::string_view id);

}  // namespace tachyon
