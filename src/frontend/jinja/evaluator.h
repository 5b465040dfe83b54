#pragma once
// Evaluator: renders a parsed statement tree with Jinja's semantics (scoping of set inside
// loops, the loop variable, macros, undefined values that render empty and are falsy).
#include <string>

#include "frontend/jinja/ast.h"
#include "frontend/jinja/value.h"

namespace tachyon::jinja {

// Renders `program` with `globals` (plus range, namespace, dict) as top-level variables.
// Throws JinjaError with "line L, column C: " prepended; Template turns that into an Error.
std::string render_program(const Body& program, const Object& globals);

}  // namespace tachyon::jinja
