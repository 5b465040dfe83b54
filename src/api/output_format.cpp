#include "api/output_format.h"

#include <fmt/format.h>

#include "api/json_fields.h"
#include "constrain/json_schema.h"

namespace tachyon {
namespace {

// `path` names the object holding the schema in messages; errors carry `field` as their param.
Result<OutputFormat> read_schema(const nlohmann::ordered_json& holder, const std::string& path, const std::string& field) {
  const std::string& param = field;
  OutputFormat out;
  out.kind = OutputFormat::Kind::JsonSchema;
  const nlohmann::ordered_json* schema = find_field(holder, "schema");
  if (schema == nullptr) return invalid_param(param, "Missing required parameter: '{}.schema'", path);
  if (!schema->is_object() && !schema->is_boolean())
    return invalid_param(param, "Invalid '{}.schema': expected a JSON Schema object", path);
  // Refused here, before the schema is copied and compiled: the compiler's limit, checked on
  // the cheapest form.
  if (const size_t size = schema->dump().size(); size > SchemaOptions{}.max_schema_bytes)
    return invalid_param(param, "Invalid '{}.schema': the schema is {} bytes, larger than the limit of {} bytes", path,
                         size, SchemaOptions{}.max_schema_bytes);
  out.schema = *schema;
  if (const auto* name = find_field(holder, "name")) {
    if (!name->is_string()) return invalid_param(param, "Invalid '{}.name': expected a string", path);
    out.name = name->get<std::string>();
  }
  if (const auto* strict = find_field(holder, "strict")) {
    if (!strict->is_boolean()) return invalid_param(param, "Invalid '{}.strict': expected a boolean", path);
    out.strict = strict->get<bool>();
  }
  return out;
}

}  // namespace

Result<std::optional<OutputFormat>> parse_output_format(const nlohmann::ordered_json& format, const std::string& field,
                                                        bool flat) {
  if (!format.is_object()) return invalid_param(field, "Invalid type for '{}': expected an object", field);
  const nlohmann::ordered_json* type = find_field(format, "type");
  if (type == nullptr || !type->is_string())
    return invalid_param(field, "Invalid '{}': expected an object with a string 'type'", field);
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "text") return std::optional<OutputFormat>();
  if (name == "json_object") return std::optional(OutputFormat{});
  if (name == "json_schema") {
    if (flat) {
      Result<OutputFormat> out = read_schema(format, field, field);
      if (!out) return out.error();
      return std::optional(std::move(out.value()));
    }
    const nlohmann::ordered_json* holder = find_field(format, "json_schema");
    if (holder == nullptr || !holder->is_object())
      return invalid_param(field, "Missing required parameter: '{}.json_schema' (an object with a 'schema')", field);
    Result<OutputFormat> out = read_schema(*holder, field + ".json_schema", field);
    if (!out) return out.error();
    return std::optional(std::move(out.value()));
  }
  if (name == "regex") {
    const nlohmann::ordered_json* holder = find_field(format, "regex");
    const nlohmann::ordered_json* pattern = holder && holder->is_object() ? find_field(*holder, "regex") : nullptr;
    if (pattern == nullptr || !pattern->is_string())
      return invalid_param(field, "Invalid '{}': type 'regex' needs {{\"regex\": {{\"regex\": \"...\"}}}}", field);
    OutputFormat out;
    out.kind = OutputFormat::Kind::Regex;
    out.regex = pattern->get<std::string>();
    return std::optional(std::move(out));
  }
  return invalid_param(field, "Invalid '{}.type': expected 'text', 'json_object', 'json_schema' or 'regex', got '{}'",
                       field, name);
}

}  // namespace tachyon
