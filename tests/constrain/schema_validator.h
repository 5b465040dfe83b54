#pragma once
// A small JSON Schema validator for the subset the compiler supports, as the tests' oracle.
#include <string>

#include <nlohmann/json.hpp>

#include "constrain/regex_oracle.h"

namespace tachyon::constrain_test {

inline size_t count_codepoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Returns "" when `value` validates against `schema`, else what failed.
inline std::string validate(const nlohmann::json& value, const nlohmann::json& schema,
                            const nlohmann::json& root, const std::string& path = "$") {
  using json = nlohmann::json;
  if (schema.is_boolean()) return schema.get<bool>() ? "" : path + ": false schema";
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    if (ref == "#") return validate(value, root, root, path);
    return validate(value, root.at(json::json_pointer(ref.substr(1))), root, path);
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    for (const json& branch : schema[key]) {
      if (validate(value, branch, root, path).empty()) return "";
    }
    return path + ": no " + key + " branch matches " + value.dump();
  }
  if (schema.contains("const") && value != schema["const"]) return path + ": not the const";
  if (schema.contains("enum")) {
    bool found = false;
    for (const json& v : schema["enum"]) found |= v == value;
    if (!found) return path + ": not in enum: " + value.dump();
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_string()) {
      types.push_back(schema["type"]);
    } else {
      for (const json& t : schema["type"]) types.push_back(t);
    }
    bool ok = false;
    for (const std::string& t : types) {
      ok |= (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
            (t == "string" && value.is_string()) || (t == "number" && value.is_number()) ||
            (t == "integer" && value.is_number_integer()) || (t == "boolean" && value.is_boolean()) ||
            (t == "null" && value.is_null());
    }
    if (!ok) return path + ": wrong type: " + value.dump();
  }
  if (value.is_object()) {
    const json properties = schema.value("properties", json::object());
    for (const json& name : schema.value("required", json::array())) {
      if (!value.contains(name.get<std::string>())) return path + ": missing " + name.get<std::string>();
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (properties.contains(it.key())) {
        auto error = validate(it.value(), properties[it.key()], root, path + "." + it.key());
        if (!error.empty()) return error;
      } else if (schema.contains("additionalProperties")) {
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) return path + ": extra property " + it.key();
        if (extra.is_object()) {
          auto error = validate(it.value(), extra, root, path + "." + it.key());
          if (!error.empty()) return error;
        }
      }
    }
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) return path + ": too few items";
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) return path + ": too many items";
    if (schema.contains("items")) {
      for (size_t i = 0; i < value.size(); ++i) {
        auto error = validate(value[i], schema["items"], root, path + "[" + std::to_string(i) + "]");
        if (!error.empty()) return error;
      }
    }
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (schema.contains("pattern") && !pcre_matches(schema["pattern"].get<std::string>(), s, /*whole=*/false)) {
      return path + ": pattern mismatch: " + s;
    }
    if (!schema.contains("pattern") && !schema.contains("format")) {
      if (schema.contains("minLength") && count_codepoints(s) < schema["minLength"].get<size_t>()) return path + ": too short";
      if (schema.contains("maxLength") && count_codepoints(s) > schema["maxLength"].get<size_t>()) return path + ": too long";
    }
    if (schema.value("format", "") == "date" &&
        !pcre_matches(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))", s, true)) {
      return path + ": not a date: " + s;
    }
    if (schema.value("format", "") == "uuid" &&
        !pcre_matches(R"([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})", s, true)) {
      return path + ": not a uuid: " + s;
    }
    if (schema.value("format", "") == "email" && !pcre_matches(R"([^@]+@[^@]+\.[^@]+)", s, true)) {
      return path + ": not an email: " + s;
    }
  }
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>()) return path + ": below minimum";
    if (schema.contains("maximum") && v > schema["maximum"].get<double>()) return path + ": above maximum";
    if (schema.contains("exclusiveMinimum") && v <= schema["exclusiveMinimum"].get<double>()) return path + ": not above exclusiveMinimum";
    if (schema.contains("exclusiveMaximum") && v >= schema["exclusiveMaximum"].get<double>()) return path + ": not below exclusiveMaximum";
  }
  return "";
}

}  // namespace tachyon::constrain_test
