#pragma once
// Python methods that chat templates call on values: str.strip(), str.split(), dict.items(),
// dict.get(), list.append() and friends.
#include <string>
#include <string_view>

#include "frontend/jinja/value.h"

namespace tachyon::jinja {

// Calls self.name(args). Throws JinjaError when the type has no such method.
Value call_method(const Value& self, std::string_view name, const CallArgs& args);

// Number of Unicode code points in UTF-8 text (Python's len() of a str).
size_t utf8_length(std::string_view text);

}  // namespace tachyon::jinja
