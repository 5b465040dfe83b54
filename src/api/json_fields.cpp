#include "api/json_fields.h"

#include <cmath>
#include <limits>

namespace tachyon {

Result<nlohmann::json> parse_json_object(std::string_view body) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() starts with the library's "[json.exception.parse_error.N] " tag; keep the rest,
    // which says where the body went wrong.
    std::string_view detail = e.what();
    if (size_t end_of_tag = detail.find("] "); end_of_tag != std::string_view::npos) {
      detail.remove_prefix(end_of_tag + 2);
    }
    // No param: the body as a whole is at fault.
    return Error{fmt::format("Invalid JSON in the request body: {}", detail),
                 ErrorKind::InvalidArgument, {}};
  }
  if (!value.is_object()) {
    return Error{fmt::format("The request body must be a JSON object, got {}",
                             json_type_name(value)),
                 ErrorKind::InvalidArgument, {}};
  }
  return value;
}

const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
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
