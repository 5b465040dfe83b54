#include "frontend/jinja/methods.h"

#include <algorithm>
#include <cctype>

namespace tachyon::jinja {

namespace {

constexpr std::string_view kWhitespace = " \t\n\r\v\f";

std::string_view strip_chars(const CallArgs& args) {
  const Value* chars = args.get(0, "chars");
  if (chars == nullptr || chars->is_none() || chars->is_undefined()) return kWhitespace;
  return chars->as_string();
}

std::string strip(const std::string& s, std::string_view chars, bool left, bool right) {
  size_t begin = 0;
  size_t end = s.size();
  if (left) {
    while (begin < end && chars.find(s[begin]) != std::string_view::npos) ++begin;
  }
  if (right) {
    while (end > begin && chars.find(s[end - 1]) != std::string_view::npos) --end;
  }
  return s.substr(begin, end - begin);
}

Value split(const std::string& s, const CallArgs& args) {
  const Value* sep = args.get(0, "sep");
  const Value* maxsplit_arg = args.get(1, "maxsplit");
  int64_t maxsplit = maxsplit_arg != nullptr ? maxsplit_arg->as_int() : -1;
  Array parts;
  if (sep == nullptr || sep->is_none()) {
    // Runs of whitespace separate, and leading/trailing whitespace yields no empty parts.
    size_t pos = 0;
    while (true) {
      while (pos < s.size() && kWhitespace.find(s[pos]) != std::string_view::npos) ++pos;
      if (pos >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.emplace_back(strip(s.substr(pos), kWhitespace, false, true));
        break;
      }
      size_t end = pos;
      while (end < s.size() && kWhitespace.find(s[end]) == std::string_view::npos) ++end;
      parts.emplace_back(s.substr(pos, end - pos));
      pos = end;
    }
    return Value(std::move(parts));
  }
  const std::string& separator = sep->as_string();
  if (separator.empty()) throw JinjaError{"empty separator"};
  size_t pos = 0;
  while (true) {
    size_t found = s.find(separator, pos);
    if (found == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit)) {
      parts.emplace_back(s.substr(pos));
      break;
    }
    parts.emplace_back(s.substr(pos, found - pos));
    pos = found + separator.size();
  }
  return Value(std::move(parts));
}

bool affix_matches(const std::string& s, const Value& affix, bool prefix) {
  if (affix.is_array()) {
    return std::any_of(affix.array().begin(), affix.array().end(),
                       [&](const Value& item) { return affix_matches(s, item, prefix); });
  }
  const std::string& a = affix.as_string();
  if (a.size() > s.size()) return false;
  return prefix ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
}

std::string map_chars(const std::string& s, int (*fn)(int)) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(fn(static_cast<unsigned char>(c)));
  return out;
}

std::string title_case(const std::string& s) {
  std::string out = s;
  bool previous_is_letter = false;
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    bool letter = std::isalpha(u) != 0;
    c = static_cast<char>(letter && !previous_is_letter ? std::toupper(u) : std::tolower(u));
    previous_is_letter = letter;
  }
  return out;
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t found = s.find(from, pos);
    if (found == std::string::npos) break;
    out.append(s, pos, found - pos);
    out += to;
    pos = found + from.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

const Value& required(const CallArgs& args, size_t index, std::string_view name, std::string_view method) {
  const Value* value = args.get(index, name);
  if (value == nullptr) throw JinjaError{std::string(method) + "() missing argument '" + std::string(name) + "'"};
  return *value;
}

Value string_method(const std::string& s, std::string_view name, const CallArgs& args) {
  if (name == "strip") return Value(strip(s, strip_chars(args), true, true));
  if (name == "lstrip") return Value(strip(s, strip_chars(args), true, false));
  if (name == "rstrip") return Value(strip(s, strip_chars(args), false, true));
  if (name == "split") return split(s, args);
  if (name == "startswith") return Value(affix_matches(s, required(args, 0, "prefix", name), true));
  if (name == "endswith") return Value(affix_matches(s, required(args, 0, "suffix", name), false));
  if (name == "upper") return Value(map_chars(s, ::toupper));
  if (name == "lower") return Value(map_chars(s, ::tolower));
  if (name == "title") return Value(title_case(s));
  if (name == "capitalize") {
    std::string out = map_chars(s, ::tolower);
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return Value(out);
  }
  if (name == "replace") {
    const Value* count = args.get(2, "count");
    return Value(replace_all(s, required(args, 0, "old", name).as_string(), required(args, 1, "new", name).as_string(),
                             count != nullptr ? count->as_int() : -1));
  }
  if (name == "find" || name == "index") {
    size_t found = s.find(required(args, 0, "sub", name).as_string());
    if (found == std::string::npos && name == "index") throw JinjaError{"substring not found"};
    return Value(found == std::string::npos ? int64_t{-1} : static_cast<int64_t>(found));
  }
  if (name == "count") {
    const std::string& sub = required(args, 0, "sub", name).as_string();
    int64_t n = 0;
    for (size_t pos = s.find(sub); !sub.empty() && pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
    return Value(n);
  }
  if (name == "join") {
    std::string out;
    const Array& items = required(args, 0, "iterable", name).array();
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += s;
      out += items[i].as_string();
    }
    return Value(out);
  }
  if (name == "splitlines") {
    Array lines;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find('\n', pos);
      if (end == std::string::npos) end = s.size();
      std::string line = s.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.emplace_back(std::move(line));
      pos = end + 1;
    }
    return Value(std::move(lines));
  }
  auto all_of = [&](int (*pred)(int)) {
    return Value(!s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; }));
  };
  if (name == "isdigit") return all_of(::isdigit);
  if (name == "isalpha") return all_of(::isalpha);
  if (name == "isalnum") return all_of(::isalnum);
  if (name == "isspace") return all_of(::isspace);
  if (name == "isupper") return Value(s != map_chars(s, ::tolower) && s == map_chars(s, ::toupper));
  if (name == "islower") return Value(s != map_chars(s, ::toupper) && s == map_chars(s, ::tolower));
  throw JinjaError{"'str' object has no method '" + std::string(name) + "'"};
}

Value dict_method(Object& object, std::string_view name, const CallArgs& args) {
  if (name == "items") {
    Array items;
    for (const auto& [key, value] : object.entries()) items.emplace_back(Array{Value(key), value});
    return Value(std::move(items));
  }
  if (name == "keys") {
    Array keys;
    for (const auto& entry : object.entries()) keys.emplace_back(entry.first);
    return Value(std::move(keys));
  }
  if (name == "values") {
    Array values;
    for (const auto& entry : object.entries()) values.push_back(entry.second);
    return Value(std::move(values));
  }
  if (name == "get") {
    const Value* found = object.find(required(args, 0, "key", name).as_string());
    if (found != nullptr) return *found;
    const Value* fallback = args.get(1, "default");
    return fallback != nullptr ? *fallback : Value::none();
  }
  if (name == "pop") {
    const std::string& key = required(args, 0, "key", name).as_string();
    const Value* found = object.find(key);
    if (found == nullptr) {
      const Value* fallback = args.get(1, "default");
      if (fallback == nullptr) throw JinjaError{"key '" + key + "' not found"};
      return *fallback;
    }
    Value value = *found;
    object.erase(key);
    return value;
  }
  if (name == "update") {
    const Value* other = args.get(0, "other");
    if (other != nullptr) {
      for (const auto& [key, value] : other->object().entries()) object.set(key, value);
    }
    for (const auto& [key, value] : args.named) object.set(key, value);
    return Value::none();
  }
  throw JinjaError{"'dict' object has no method '" + std::string(name) + "'"};
}

Value list_method(Array& items, std::string_view name, const CallArgs& args) {
  if (name == "append") {
    items.push_back(required(args, 0, "item", name));
    return Value::none();
  }
  if (name == "extend") {
    Array more = required(args, 0, "iterable", name).array();
    items.insert(items.end(), more.begin(), more.end());
    return Value::none();
  }
  if (name == "insert") {
    int64_t size = static_cast<int64_t>(items.size());
    int64_t index = std::clamp(required(args, 0, "index", name).as_int(), -size, size);
    if (index < 0) index += size;
    items.insert(items.begin() + index, required(args, 1, "item", name));
    return Value::none();
  }
  if (name == "pop") {
    if (items.empty()) throw JinjaError{"pop from empty list"};
    const Value* index_arg = args.get(0, "index");
    int64_t size = static_cast<int64_t>(items.size());
    int64_t index = index_arg != nullptr ? index_arg->as_int() : -1;
    if (index < 0) index += size;
    if (index < 0 || index >= size) throw JinjaError{"pop index out of range"};
    Value value = items[static_cast<size_t>(index)];
    items.erase(items.begin() + index);
    return value;
  }
  if (name == "index") {
    const Value& needle = required(args, 0, "value", name);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i] == needle) return Value(static_cast<int64_t>(i));
    }
    throw JinjaError{"value is not in list"};
  }
  if (name == "count") {
    const Value& needle = required(args, 0, "value", name);
    return Value(static_cast<int64_t>(std::count(items.begin(), items.end(), needle)));
  }
  throw JinjaError{"'list' object has no method '" + std::string(name) + "'"};
}

}  // namespace

size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(),
                                           [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Value call_method(const Value& self, std::string_view name, const CallArgs& args) {
  if (self.is_string()) return string_method(self.as_string(), name, args);
  if (self.is_object()) return dict_method(self.object(), name, args);
  if (self.is_array()) return list_method(self.array(), name, args);
  throw JinjaError{"'" + self.type_name() + "' object has no method '" + std::string(name) + "'"};
}

}  // namespace tachyon::jinja
