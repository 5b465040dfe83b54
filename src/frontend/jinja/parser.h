#pragma once
// Jinja parser: turns the lexer's tokens into a statement tree (recursive descent, with
// Jinja's operator precedence).
#include <vector>

#include "frontend/jinja/ast.h"
#include "frontend/jinja/lexer.h"
#include "util/result.h"

namespace tachyon::jinja {

// Parses a token stream ending with End. Syntax errors carry line and column.
Result<Body> parse(const std::vector<Token>& tokens);

}  // namespace tachyon::jinja
