#include "api/structured_output.h"

#include <fmt/format.h>

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

ojson parameters_schema(const ToolFunction& f) {
  if (!f.parameters.is_null()) return f.parameters;
  return {{"type", "object"}, {"properties", ojson::object()}, {"additionalProperties", false}};
}

// The error with its field named, keeping the compiler's message (which says where in the
// schema and what is wrong).
Error at_field(Error e, const std::string& field) {
  e.kind = ErrorKind::InvalidArgument;
  e.message = fmt::format("Invalid '{}': {}", field, e.message);
  e.param = field;
  return e;
}

}  // namespace

ojson tool_call_schema(const ToolRequest& tools) {
  ojson alternatives = ojson::array();
  for (const ToolFunction& f : tools.functions) {
    if (tools.choice == ToolRequest::Choice::Named && f.name != tools.named) continue;
    alternatives.push_back({{"type", "object"},
                            {"properties", {{"name", {{"const", f.name}}}, {"arguments", parameters_schema(f)}}},
                            {"required", {"name", "arguments"}},
                            {"additionalProperties", false}});
  }
  if (alternatives.size() == 1) return alternatives[0];
  return {{"anyOf", std::move(alternatives)}};
}

Result<std::shared_ptr<const Grammar>> output_grammar(const std::optional<OutputFormat>& format,
                                                      const ToolRequest& tools) {
  if (tools.active()) {
    // Every tool's parameters are checked, so a bad schema is a 400 even when the model would
    // not have called that tool.
    bool all_strict = true;
    for (size_t i = 0; i < tools.functions.size(); ++i) {
      const ToolFunction& f = tools.functions[i];
      all_strict = all_strict && f.strict;
      SchemaOptions opts;
      opts.strict = f.strict;
      auto compiled = compile_json_schema(parameters_schema(f), opts);
      if (!compiled) return at_field(compiled.error(), fmt::format("tools[{}].function.parameters", i));
    }
    if (tools.forced()) {
      SchemaOptions opts;
      opts.strict = all_strict;
      auto compiled = compile_json_schema(tool_call_schema(tools), opts);
      if (!compiled) return at_field(compiled.error(), "tools");
      return std::move(compiled.value());
    }
  }
  // With tool_choice "auto" and a response_format, the format wins: the model answers in it.
  if (!format) return std::shared_ptr<const Grammar>();
  switch (format->kind) {
    case OutputFormat::Kind::JsonObject:
      return json_object_grammar();
    case OutputFormat::Kind::JsonSchema: {
      SchemaOptions opts;
      opts.strict = format->strict;
      auto compiled = compile_json_schema(format->schema, opts);
      if (!compiled) return at_field(compiled.error(), "response_format");
      return std::move(compiled.value());
    }
    case OutputFormat::Kind::Regex: {
      auto compiled = compile_regex(format->regex);
      if (!compiled) return at_field(compiled.error(), "response_format");
      return std::move(compiled.value());
    }
  }
  return std::shared_ptr<const Grammar>();
}

}  // namespace tachyon
