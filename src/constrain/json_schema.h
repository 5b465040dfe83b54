#pragma once
// JSON Schema (OpenAI response_format json_schema and tool parameters, Perplexity json_schema)
// and "any JSON object" (OpenAI json_object) to Grammars.
//
// Supported keywords:
//   type (object, array, string, number, integer, boolean, null, or an array of them; without
//     type the kind is inferred from the other keywords, else any JSON value),
//   properties, required, additionalProperties (false; true or absent: extra properties after
//     the declared ones, any value; a schema: extra values follow it),
//   items (one schema), minItems, maxItems, enum, const, anyOf, oneOf (treated as anyOf: an
//     output matching several branches is not rejected), allOf with a single schema,
//   $ref to local JSON pointers (#, #/$defs/..., #/definitions/..., recursion allowed),
//   pattern (regex_parser.h syntax, JSON Schema's unanchored search semantics), minLength,
//   maxLength, format (date, time, date-time, uuid, email, ipv4),
//   minimum, maximum, exclusiveMinimum, exclusiveMaximum (exact for integers; for numbers only
//     a lower bound >= 0 is enforced, as "no minus sign").
//   Ignored everywhere: description, title, default, examples, $schema, $id, $comment,
//   deprecated, readOnly, writeOnly, $defs/definitions themselves.
// Any other keyword is an error under `strict` and ignored otherwise; so is a format not listed.
//
// What the grammar produces (approximations, all on the safe side: every output is valid JSON
// that validates against the schema, except where noted):
//   - properties come in the schema's order (keep it by passing ordered_json or the schema
//     text; a plain nlohmann::json has sorted keys); optional ones may be left out; required
//     names missing from `properties` follow the declared ones with any value.
//   - extra property names are plain printable ASCII without escapes, never one of the declared
//     names; an extra name may repeat (JSON allows it; parsers keep the last).
//   - strings: minLength/maxLength count code points; pattern or format take precedence over
//     them; counts above kMaxCount for maxLength/maxItems are treated as unbounded.
//   - integers have at most 16 digits; numbers at most 16+16 digits and a 2-digit exponent.
//   - oneOf accepts outputs matching more than one branch (the only unsound case).
//   - white space: see json_parts.h (at most one space after ':' and ',').
//   - a schema with $ref, anyOf/oneOf, a single-schema allOf, const or enum is that (first in
//     this order); keywords next to it are not merged in (e.g. "type" beside "anyOf").
// Under `strict` (OpenAI structured outputs), additionalProperties: true is an error and an
// absent one means false; properties missing from `required` stay optional (not an error).
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "constrain/grammar.h"
#include "util/result.h"

namespace tachyon {

struct SchemaOptions {
  bool strict = false;
  size_t max_schema_bytes = 256 * 1024;  // of the schema as compact JSON
  int max_depth = 64;                    // nested schemas (properties, items, anyOf ...)
};

// Errors are InvalidArgument with a message naming the keyword and its JSON path
// ("#/properties/a/items"); the caller sets Error::param to the request field.
// The size and depth limits are checked first, by one pass over the JSON without recursion.
Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::json& schema,
                                                           const SchemaOptions& opts);
Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::ordered_json& schema,
                                                           const SchemaOptions& opts);
// From the schema's JSON text (keeps the property order; the size limit applies to the text).
Result<std::shared_ptr<const Grammar>> compile_json_schema_text(std::string_view schema_json,
                                                                const SchemaOptions& opts);

// Any JSON object, values nested at most JsonParts::kAnyValueDepth deep. Built once, shared.
std::shared_ptr<const Grammar> json_object_grammar();

}  // namespace tachyon
