#pragma once
// Typed reads of request-body fields. Every reader treats an absent field and an explicit JSON
// null alike (OpenAI clients send null for "not given") and reports a wrong JSON type as a 400
// whose param is the field's name. Pure functions, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace tachyon {

// The deepest a request body may nest arrays and objects. Deeper bodies are refused before
// anything parses them: copying or printing a JSON value recurses once per level, so a body of
// a few hundred thousand '[' would otherwise overflow a thread's stack. Above what any field
// needs: the deepest JSON Schema compiled (64 nested schemas) nests about 130 levels.
constexpr int kMaxJsonDepth = 256;

// How deeply `text` nests arrays and objects (brackets inside strings do not count), scanning
// no further than the first point deeper than `limit`. Linear; works on any bytes, JSON or not.
int json_nesting_depth(std::string_view text, int limit = kMaxJsonDepth);

// Parses a request body that must be a single JSON object; malformed JSON is a 400 whose
// message says so and whose param is empty.
Result<nlohmann::json> parse_json_object(std::string_view body);

// The same with the keys of every object in the order sent (JSON Schemas: a schema's property
// order is the output's), in time linear in the body (nlohmann's ordered_json::parse is
// quadratic in the keys of one object). A key sent twice keeps its first place and last value.
Result<nlohmann::ordered_json> parse_ordered_json_object(std::string_view body);

// The field's value, or nullptr when it is absent or null.
const nlohmann::json* find_field(const nlohmann::json& object, std::string_view key);
const nlohmann::ordered_json* find_field(const nlohmann::ordered_json& object, std::string_view key);

// The JSON text of a response body; invalid UTF-8 (a token text can end inside a character) is
// replaced rather than thrown on.
std::string dump_json(const nlohmann::ordered_json& value);

// "string", "integer", "number", "boolean", "array", "object" or "null", for error messages.
std::string_view json_type_name(const nlohmann::json& value);

// The 400 for a value of the wrong JSON type: "Invalid type for 'param': expected ..., got ...".
Error type_error(std::string param, std::string_view expected, const nlohmann::json& got);

// A JSON integer, or a float with an integral value (1.0), that fits int64; others give nullopt.
std::optional<int64_t> as_integer(const nlohmann::json& value);

// Field readers: `out` is left unchanged when the field is absent or null.
Status read_bool(const nlohmann::json& object, std::string_view key, bool& out);
Status read_string(const nlohmann::json& object, std::string_view key, std::string& out);
Status read_number(const nlohmann::json& object, std::string_view key, std::optional<double>& out);

// Reads an integer and checks lo <= value <= hi.
Status read_integer(const nlohmann::json& object, std::string_view key, int64_t lo, int64_t hi,
                    std::optional<int64_t>& out);

}  // namespace tachyon
