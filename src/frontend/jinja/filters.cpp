#include "frontend/jinja/filters.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "frontend/jinja/methods.h"

namespace tachyon::jinja {

Array iterate(const Value& value) {
  if (value.is_array()) return value.array();
  if (value.is_undefined() || value.is_none()) return {};
  if (value.is_object()) {
    Array keys;
    for (const auto& entry : value.object().entries()) keys.emplace_back(entry.first);
    return keys;
  }
  if (value.is_string()) {
    Array chars;
    const std::string& s = value.as_string();
    for (size_t i = 0; i < s.size();) {
      size_t len = 1;
      while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
      chars.emplace_back(s.substr(i, len));
      i += len;
    }
    return chars;
  }
  throw JinjaError{"'" + value.type_name() + "' object is not iterable"};
}

namespace {

CallArgs shift_args(const CallArgs& args, size_t n) {
  CallArgs rest;
  if (n < args.positional.size()) rest.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(n), args.positional.end());
  rest.named = args.named;
  return rest;
}

bool flag(const CallArgs& args, size_t index, std::string_view name) {
  const Value* value = args.get(index, name);
  return value != nullptr && value->truthy();
}

// select/reject/selectattr/rejectattr share one loop: keep items whose test result == keep.
Value filter_items(const Value& input, const CallArgs& args, bool by_attribute, bool keep) {
  size_t test_index = by_attribute ? 1 : 0;
  const Value* attribute = by_attribute ? args.get(0, "attribute") : nullptr;
  if (by_attribute && attribute == nullptr) throw JinjaError{"selectattr/rejectattr need an attribute"};
  const Value* test = args.get(test_index, "test");
  CallArgs test_args = shift_args(args, test_index + 1);
  Array out;
  for (const Value& item : iterate(input)) {
    Value subject = attribute != nullptr ? get_attribute_path(item, attribute->as_string()) : item;
    bool passed = test != nullptr ? apply_test(test->as_string(), subject, test_args) : subject.truthy();
    if (passed == keep) out.push_back(item);
  }
  return Value(std::move(out));
}

Value map_items(const Value& input, const CallArgs& args) {
  Array out;
  if (const Value* attribute = args.get(99, "attribute")) {
    const Value* fallback = args.get(99, "default");
    for (const Value& item : iterate(input)) {
      Value mapped = get_attribute_path(item, attribute->as_string());
      out.push_back(mapped.is_undefined() && fallback != nullptr ? *fallback : mapped);
    }
    return Value(std::move(out));
  }
  if (args.positional.empty()) throw JinjaError{"map needs a filter name or attribute="};
  CallArgs filter_args = shift_args(args, 1);
  for (const Value& item : iterate(input)) out.push_back(apply_filter(args.positional[0].as_string(), item, filter_args));
  return Value(std::move(out));
}

Value sort_items(const Value& input, const CallArgs& args) {
  Array items = iterate(input);
  bool reverse = flag(args, 0, "reverse");
  bool case_sensitive = flag(args, 1, "case_sensitive");
  const Value* attribute = args.get(2, "attribute");
  auto key = [&](const Value& item) {
    Value k = attribute != nullptr ? get_attribute_path(item, attribute->as_string()) : item;
    if (!case_sensitive && k.is_string()) return call_method(k, "lower", {});
    return k;
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    int c = compare(key(a), key(b));
    return reverse ? c > 0 : c < 0;
  });
  return Value(std::move(items));
}

Value join_items(const Value& input, const CallArgs& args) {
  const Value* separator = args.get(0, "d");
  const Value* attribute = args.get(1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(input)) {
    if (!first && separator != nullptr) out += separator->str();
    first = false;
    out += (attribute != nullptr ? get_attribute_path(item, attribute->as_string()) : item).str();
  }
  return Value(out);
}

Value to_int(const Value& input, const CallArgs& args) {
  const Value* fallback = args.get(0, "default");
  Value on_error = fallback != nullptr ? *fallback : Value(0);
  if (input.is_int() || input.is_bool()) return Value(input.as_int());
  if (input.is_float()) return Value(static_cast<int64_t>(input.as_number()));
  if (input.is_string()) {
    try {
      size_t used = 0;
      const std::string& s = input.as_string();
      double parsed = std::stod(s, &used);
      return used == s.size() ? Value(static_cast<int64_t>(parsed)) : on_error;
    } catch (const std::exception&) {
      return on_error;
    }
  }
  return on_error;
}

Value to_float(const Value& input, const CallArgs& args) {
  const Value* fallback = args.get(0, "default");
  Value on_error = fallback != nullptr ? *fallback : Value(0.0);
  if (input.is_number() || input.is_bool()) return Value(input.as_number());
  if (input.is_string()) {
    try {
      return Value(std::stod(input.as_string()));
    } catch (const std::exception&) {
      return on_error;
    }
  }
  return on_error;
}

Value indent_lines(const Value& input, const CallArgs& args) {
  const Value* width_arg = args.get(0, "width");
  std::string pad = width_arg == nullptr ? "    "
                    : width_arg->is_string() ? width_arg->as_string()
                                             : std::string(static_cast<size_t>(width_arg->as_int()), ' ');
  bool indent_first = flag(args, 1, "first");
  bool indent_blank = flag(args, 2, "blank");
  const std::string& s = input.as_string();
  std::string out;
  size_t pos = 0;
  bool first_line = true;
  while (pos <= s.size()) {
    size_t end = s.find('\n', pos);
    std::string line = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if ((first_line ? indent_first : true) && (indent_blank || !blank)) out += pad;
    out += line;
    first_line = false;
    if (end == std::string::npos) break;
    out += '\n';
    pos = end + 1;
  }
  return Value(out);
}

Value min_max(const Value& input, bool want_max) {
  Array items = iterate(input);
  if (items.empty()) return Value();
  const Value* best = &items[0];
  for (const Value& item : items) {
    int c = compare(item, *best);
    if (want_max ? c > 0 : c < 0) best = &item;
  }
  return *best;
}

Value html_escape(const Value& input) {
  std::string out;
  for (char c : input.str()) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value(out);
}

}  // namespace

Value get_attribute_path(const Value& value, std::string_view path) {
  Value current = value;
  while (true) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    if (current.is_object()) {
      const Value* found = current.object().find(part);
      current = found != nullptr ? *found : Value();
    } else if (current.is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t index = std::stoul(std::string(part));
      current = index < current.array().size() ? current.array()[index] : Value();
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

Value apply_filter(std::string_view name, const Value& input, const CallArgs& args) {
  if (name == "trim") return call_method(input, "strip", args);
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    return call_method(Value(input.str()), name, {});
  }
  if (name == "replace") return call_method(Value(input.str()), "replace", args);
  if (name == "length" || name == "count") {
    if (input.is_string()) return Value(static_cast<int64_t>(utf8_length(input.as_string())));
    if (input.is_object()) return Value(static_cast<int64_t>(input.object().size()));
    return Value(static_cast<int64_t>(iterate(input).size()));
  }
  if (name == "tojson") {
    const Value* indent = args.get(0, "indent");
    int width = indent != nullptr && !indent->is_none() ? static_cast<int>(indent->as_int()) : -1;
    return Value(input.to_json(width, flag(args, 99, "sort_keys")));
  }
  if (name == "default" || name == "d") {
    const Value* fallback = args.get(0, "default_value");
    bool use_fallback = flag(args, 1, "boolean") ? !input.truthy() : input.is_undefined();
    if (!use_fallback) return input;
    return fallback != nullptr ? *fallback : Value("");
  }
  if (name == "first" || name == "last") {
    Array items = iterate(input);
    if (items.empty()) return Value();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") return join_items(input, args);
  if (name == "string") return Value(input.str());
  if (name == "int") return to_int(input, args);
  if (name == "float") return to_float(input, args);
  if (name == "list") return Value(iterate(input));
  if (name == "items" || name == "dictsort") {
    if (input.is_undefined()) return Value(Array{});
    Value items = call_method(input, "items", {});
    if (name == "dictsort") {
      std::stable_sort(items.array().begin(), items.array().end(),
                       [](const Value& a, const Value& b) { return compare(a.array()[0], b.array()[0]) < 0; });
    }
    return items;
  }
  if (name == "selectattr") return filter_items(input, args, true, true);
  if (name == "rejectattr") return filter_items(input, args, true, false);
  if (name == "select") return filter_items(input, args, false, true);
  if (name == "reject") return filter_items(input, args, false, false);
  if (name == "map") return map_items(input, args);
  if (name == "attr") return get_attribute_path(input, args.get(0, "name") ? args.get(0, "name")->as_string() : "");
  if (name == "reverse") {
    if (input.is_string()) {
      Array chars = iterate(input);
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += it->as_string();
      return Value(out);
    }
    Array items = iterate(input);
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
  }
  if (name == "sort") return sort_items(input, args);
  if (name == "unique") {
    Array out;
    for (const Value& item : iterate(input)) {
      if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    }
    return Value(std::move(out));
  }
  if (name == "min" || name == "max") return min_max(input, name == "max");
  if (name == "sum") {
    const Value* attribute = args.get(0, "attribute");
    const Value* start = args.get(1, "start");
    Value total = start != nullptr ? *start : Value(0);
    for (const Value& item : iterate(input)) {
      Value term = attribute != nullptr ? get_attribute_path(item, attribute->as_string()) : item;
      total = total.is_int() && term.is_int() ? Value(total.as_int() + term.as_int())
                                              : Value(total.as_number() + term.as_number());
    }
    return total;
  }
  if (name == "abs") {
    return input.is_int() ? Value(std::abs(input.as_int())) : Value(std::fabs(input.as_number()));
  }
  if (name == "round") {
    const Value* precision = args.get(0, "precision");
    double scale = std::pow(10.0, precision != nullptr ? static_cast<double>(precision->as_int()) : 0.0);
    const Value* method = args.get(1, "method");
    std::string how = method != nullptr ? method->as_string() : "common";
    double x = input.as_number() * scale;
    double rounded = how == "floor" ? std::floor(x) : how == "ceil" ? std::ceil(x) : std::round(x);
    return Value(rounded / scale);
  }
  if (name == "indent") return indent_lines(input, args);
  if (name == "wordcount") return Value(static_cast<int64_t>(call_method(Value(input.str()), "split", {}).array().size()));
  if (name == "safe") return input;
  if (name == "escape" || name == "e") return html_escape(input);
  throw JinjaError{"unknown filter '" + std::string(name) + "'"};
}

bool apply_test(std::string_view name, const Value& input, const CallArgs& args) {
  auto operand = [&]() -> const Value& {
    const Value* other = args.get(0, "other");
    if (other == nullptr) throw JinjaError{"test '" + std::string(name) + "' needs an argument"};
    return *other;
  };
  if (name == "defined") return !input.is_undefined();
  if (name == "undefined") return input.is_undefined();
  if (name == "none") return input.is_none();
  if (name == "boolean") return input.is_bool();
  if (name == "true") return input.is_bool() && input.as_bool();
  if (name == "false") return input.is_bool() && !input.as_bool();
  if (name == "integer") return input.is_int();
  if (name == "float") return input.is_float();
  if (name == "number") return input.is_number();
  if (name == "string") return input.is_string();
  if (name == "mapping") return input.is_object();
  if (name == "sequence") return input.is_array() || input.is_string() || input.is_object();
  if (name == "iterable") return input.is_array() || input.is_string() || input.is_object();
  if (name == "callable") return input.is_function();
  if (name == "equalto" || name == "eq" || name == "==" || name == "sameas") return input == operand();
  if (name == "ne" || name == "!=") return !(input == operand());
  if (name == "lt" || name == "lessthan" || name == "<") return compare(input, operand()) < 0;
  if (name == "le" || name == "<=") return compare(input, operand()) <= 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(input, operand()) > 0;
  if (name == "ge" || name == ">=") return compare(input, operand()) >= 0;
  if (name == "odd") return input.as_int() % 2 != 0;
  if (name == "even") return input.as_int() % 2 == 0;
  if (name == "divisibleby") return operand().as_int() != 0 && input.as_int() % operand().as_int() == 0;
  if (name == "in") {
    const Value& container = operand();
    if (container.is_string()) return container.as_string().find(input.as_string()) != std::string::npos;
    if (container.is_object()) return input.is_string() && container.object().find(input.as_string()) != nullptr;
    Array items = iterate(container);
    return std::find(items.begin(), items.end(), input) != items.end();
  }
  if (name == "lower") return input.is_string() && input.as_string() == call_method(input, "lower", {}).as_string();
  if (name == "upper") return input.is_string() && input.as_string() == call_method(input, "upper", {}).as_string();
  throw JinjaError{"unknown test '" + std::string(name) + "'"};
}

}  // namespace tachyon::jinja
