#pragma once
// Template: a parsed Jinja template, the interpreter's public entry point.
#include <memory>
#include <string>
#include <string_view>

#include "frontend/jinja/ast.h"
#include "frontend/jinja/lexer.h"
#include "frontend/jinja/value.h"
#include "util/result.h"

namespace tachyon::jinja {

// Immutable once parsed; render() may be called from several threads at once as long as each
// call gets its own globals.
class Template {
 public:
  // Syntax errors come back as an Error naming line and column.
  static Result<Template> parse(std::string_view source, const LexerOptions& options = {});

  // Renders with `globals` as top-level variables (range, namespace and dict are always there).
  // Function values in globals signal failure by throwing JinjaError, which comes back here as
  // an Error, like every other render failure.
  Result<std::string> render(const Object& globals) const;

 private:
  explicit Template(std::shared_ptr<const Body> program) : program_(std::move(program)) {}
  std::shared_ptr<const Body> program_;
};

}  // namespace tachyon::jinja
