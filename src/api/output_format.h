#pragma once
// response_format, as OpenAI and Perplexity spell it, parsed into a plain value: free text, any
// JSON object, a JSON Schema, or a regular expression the whole output must match.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace tachyon {

struct OutputFormat {
  enum class Kind { JsonObject, JsonSchema, Regex };
  Kind kind = Kind::JsonObject;
  nlohmann::ordered_json schema = nullptr;  // JsonSchema: the schema, key order as sent
  std::string name;                         // JsonSchema: json_schema.name (may be empty)
  bool strict = false;                      // JsonSchema: json_schema.strict
  std::string regex;                        // Regex: regex.regex
};

// Reads `response_format` from a request body (`field` names it in errors: "response_format",
// or "text.format" for the Responses API, whose shape is flat: {"type": "json_schema", "name",
// "schema", "strict"}). Accepted: {"type": "text"} (nullopt), {"type": "json_object"},
// {"type": "json_schema", "json_schema": {"name", "schema", "strict"}} (OpenAI; Perplexity's
// form has only "schema") and {"type": "regex", "regex": {"regex": "..."}} (Perplexity).
// Anything else is a 400 naming the field. The schema itself is checked when it is compiled.
Result<std::optional<OutputFormat>> parse_output_format(const nlohmann::ordered_json& format, const std::string& field,
                                                        bool flat);

}  // namespace tachyon
