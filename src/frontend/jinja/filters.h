#pragma once
// Jinja's built-in filters (`x | trim`) and tests (`x is defined`), with the behaviour of
// Python Jinja plus Hugging Face's tojson (no HTML escaping, UTF-8 kept).
#include <string_view>

#include "frontend/jinja/value.h"

namespace tachyon::jinja {

// Applies filter `name` to input. Throws JinjaError for an unknown filter or bad arguments.
Value apply_filter(std::string_view name, const Value& input, const CallArgs& args);

// Evaluates test `name` on input. Throws JinjaError for an unknown test.
bool apply_test(std::string_view name, const Value& input, const CallArgs& args);

// What `for x in value` iterates: list items, dict keys, or the characters of a string;
// nothing for undefined and none. Throws JinjaError for other kinds.
Array iterate(const Value& value);

// Looks up a dotted attribute path ("function.name") as Jinja's attribute= arguments do.
Value get_attribute_path(const Value& value, std::string_view path);

}  // namespace tachyon::jinja
