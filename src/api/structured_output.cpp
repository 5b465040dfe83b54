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

Result<std::shared_ptr<MaskCache>> output_constraint(ConstraintCache& cache,
                                                     const std::shared_ptr<const TokenVocabulary>& vocabulary,
                                                     const std::optional<OutputFormat>& format, const ToolRequest& tools) {
  // A JSON Schema by its text and strictness: the cache key is exactly the compiler's input.
  auto schema = [&](const ojson& s, bool strict) {
    const std::string text = s.dump();
    return cache.get(fmt::format("schema:{}:{}", strict ? 1 : 0, text), vocabulary, [&] {
      SchemaOptions opts;
      opts.strict = strict;
      return compile_json_schema_text(text, opts);
    });
  };
  if (tools.active()) {
    bool all_strict = true;
    for (size_t i = 0; i < tools.functions.size(); ++i) {
      const ToolFunction& f = tools.functions[i];
      all_strict = all_strict && f.strict;
      auto checked = schema(parameters_schema(f), f.strict);
      if (!checked) return at_field(checked.error(), fmt::format("tools[{}].function.parameters", i));
    }
    if (tools.forced()) {
      auto call = schema(tool_call_schema(tools), all_strict);
      if (!call) return at_field(call.error(), "tools");
      return call;
    }
  }
  // With tool_choice "auto" and a response_format, the format wins: the model answers in it.
  if (!format) return std::shared_ptr<MaskCache>();
  switch (format->kind) {
    case OutputFormat::Kind::JsonObject:
      return cache.get("json_object", vocabulary, [] { return Result(json_object_grammar()); });
    case OutputFormat::Kind::JsonSchema: {
      auto compiled = schema(format->schema, format->strict);
      if (!compiled) return at_field(compiled.error(), "response_format");
      return compiled;
    }
    case OutputFormat::Kind::Regex: {
      auto compiled = cache.get("regex:" + format->regex, vocabulary, [&] { return compile_regex(format->regex); });
      if (!compiled) return at_field(compiled.error(), "response_format");
      return compiled;
    }
  }
  return std::shared_ptr<MaskCache>();
}

}  // namespace tachyon
