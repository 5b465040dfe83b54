#include "frontend/jinja/template.h"

#include "frontend/jinja/evaluator.h"
#include "frontend/jinja/parser.h"

namespace tachyon::jinja {

Result<Template> Template::parse(std::string_view source, const LexerOptions& options) {
  Result<std::vector<Token>> tokens = tokenize(source, options);
  if (!tokens) return tokens.error();
  Result<Body> program = jinja::parse(*tokens);
  if (!program) return program.error();
  return Template(std::make_shared<const Body>(std::move(program).value()));
}

Result<std::string> Template::render(const Object& globals) const {
  try {
    return render_program(*program_, globals);
  } catch (const JinjaError& error) {
    return Error{error.message};
  }
}

}  // namespace tachyon::jinja
