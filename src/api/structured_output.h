#pragma once
// What a request's output is constrained to, compiled for the engine: its response_format
// (JSON object, JSON Schema, regex) or, when it forces a tool call, one call of one of its tools
// as {"name": <one of the names>, "arguments": <that tool's parameters>}.
#include <memory>
#include <optional>

#include "api/output_format.h"
#include "api/tool_request.h"
#include "constrain/json_schema.h"
#include "constrain/regex_compiler.h"
#include "util/result.h"

namespace tachyon {

// Null when the output is free text. Schema and regex errors are 400s naming the field
// ("response_format", "tools[i].function.parameters"), unsupported keywords under strict
// included; they come back fast for huge or deeply nested schemas.
Result<std::shared_ptr<const Grammar>> output_grammar(const std::optional<OutputFormat>& format,
                                                      const ToolRequest& tools);

// The JSON Schema a forced tool call follows (for tests and the fallback prompt).
nlohmann::ordered_json tool_call_schema(const ToolRequest& tools);

}  // namespace tachyon
