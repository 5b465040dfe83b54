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
#include "engine/constraint_cache.h"
#include "util/result.h"

namespace tachyon {

// The request's constraint on a model's vocabulary, from that model's ConstraintCache
// (ModelBundle::constraints: a schema seen before costs a look-up, and its masks are already
// computed); null when the output
// is free text. Schema and regex errors are 400s naming the field ("response_format",
// "tools[i].function.parameters"), unsupported keywords under strict included; they come back
// fast for huge or deeply nested schemas. Every tool's parameters are checked, called or not.
Result<std::shared_ptr<MaskCache>> output_constraint(ConstraintCache& cache,
                                                     const std::shared_ptr<const TokenVocabulary>& vocabulary,
                                                     const std::optional<OutputFormat>& format, const ToolRequest& tools);

// The JSON Schema a forced tool call follows (for tests and the fallback prompt).
nlohmann::ordered_json tool_call_schema(const ToolRequest& tools);

}  // namespace tachyon
