#include "api/json_fields.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

// Builds an ordered_json from SAX events, appending keys without ordered_map's linear search
// (a hash index per open object finds repeated keys instead). Containers are appended to only
// while they are innermost, so the pointers on the stack stay valid.
class OrderedBuilder final : public nlohmann::json_sax<ojson> {
 public:
  ojson root;
  std::string error;

  bool null() override { return place(ojson(nullptr)); }
  bool boolean(bool v) override { return place(ojson(v)); }
  bool number_integer(number_integer_t v) override { return place(ojson(v)); }
  bool number_unsigned(number_unsigned_t v) override { return place(ojson(v)); }
  bool number_float(number_float_t v, const string_t&) override { return place(ojson(v)); }
  bool string(string_t& v) override { return place(ojson(std::move(v))); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(ojson::object()); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(ojson::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  struct Frame {
    ojson* container;
    std::unordered_map<std::string, size_t> index;  // objects: key -> position
  };

  ojson* add(ojson&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& top = stack_.back();
    if (top.container->is_array()) {
      auto& array = top.container->get_ref<ojson::array_t&>();
      array.push_back(std::move(v));
      return &array.back();
    }
    auto& object = top.container->get_ref<ojson::object_t&>();
    if (auto it = top.index.find(key_); it != top.index.end()) {
      (object.begin() + std::ptrdiff_t(it->second))->second = std::move(v);
      return &(object.begin() + std::ptrdiff_t(it->second))->second;
    }
    top.index.emplace(key_, object.size());
    object.emplace_back(std::move(key_), std::move(v));
    return &object.back().second;
  }
  bool place(ojson&& v) {
    add(std::move(v));
    return true;
  }
  bool open(ojson&& v) {
    stack_.push_back({add(std::move(v)), {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::vector<Frame> stack_;
  std::string key_;
};

// The library's message without its "[json.exception.parse_error.N] " tag: where the body went
// wrong.
std::string_view parse_error_detail(std::string_view what) {
  if (size_t end_of_tag = what.find("] "); end_of_tag != std::string_view::npos) what.remove_prefix(end_of_tag + 2);
  return what;
}

}  // namespace

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<nlohmann::json> parse_json_object(std::string_view body) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // No param: the body as a whole is at fault.
    return Error{fmt::format("Invalid JSON in the request body: {}", parse_error_detail(e.what())),
                 ErrorKind::InvalidArgument, {}};
  }
  if (!value.is_object()) {
    return Error{fmt::format("The request body must be a JSON object, got {}",
                             json_type_name(value)),
                 ErrorKind::InvalidArgument, {}};
  }
  return value;
}

Result<nlohmann::ordered_json> parse_ordered_json_object(std::string_view body) {
  OrderedBuilder builder;
  if (!ojson::sax_parse(body, &builder)) {
    return Error{fmt::format("Invalid JSON in the request body: {}", parse_error_detail(builder.error)),
                 ErrorKind::InvalidArgument, {}};
  }
  if (!builder.root.is_object()) {
    return Error{"The request body must be a JSON object", ErrorKind::InvalidArgument, {}};
  }
  return std::move(builder.root);
}

const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::ordered_json* find_field(const nlohmann::ordered_json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string dump_json(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string_view json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::object:
      return "object";
    default:
      return "null";
  }
}

Error type_error(std::string param, std::string_view expected, const nlohmann::json& got) {
  std::string message = fmt::format("Invalid type for '{}': expected {}, got {}", param, expected,
                                    json_type_name(got));
  return Error{std::move(message), ErrorKind::InvalidArgument, std::move(param)};
}

std::optional<int64_t> as_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    // 2^63 is the first double past int64's range; the cast below is exact for smaller ones.
    if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

Status read_bool(const nlohmann::json& object, std::string_view key, bool& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return Status::success();
  if (!value->is_boolean()) return type_error(std::string(key), "a boolean", *value);
  out = value->get<bool>();
  return Status::success();
}

Status read_string(const nlohmann::json& object, std::string_view key, std::string& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return Status::success();
  if (!value->is_string()) return type_error(std::string(key), "a string", *value);
  out = value->get<std::string>();
  return Status::success();
}

Status read_number(const nlohmann::json& object, std::string_view key,
                   std::optional<double>& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return Status::success();
  if (!value->is_number()) return type_error(std::string(key), "a number", *value);
  out = value->get<double>();
  return Status::success();
}

Status read_integer(const nlohmann::json& object, std::string_view key, int64_t lo, int64_t hi,
                    std::optional<int64_t>& out) {
  const nlohmann::json* value = find_field(object, key);
  if (value == nullptr) return Status::success();
  if (!value->is_number()) return type_error(std::string(key), "an integer", *value);
  std::optional<int64_t> integer = as_integer(*value);
  if (!integer) {
    return invalid_param(std::string(key), "Invalid '{}': expected an integer, got {}", key,
                         value->dump());
  }
  if (*integer < lo || *integer > hi) {
    return invalid_param(std::string(key), "Invalid '{}': expected a value in [{}, {}], got {}",
                         key, lo, hi, *integer);
  }
  out = *integer;
  return Status::success();
}

}  // namespace tachyon
