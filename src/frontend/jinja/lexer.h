#pragma once
// Jinja lexer: splits template source into text and tag tokens and applies whitespace control
// ({%- -%}, trim_blocks, lstrip_blocks) so the parser only sees the text that will be emitted.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tachyon::jinja {

enum class TokenKind {
  Text,       // literal template text, already whitespace-trimmed
  ExprOpen,   // {{
  ExprClose,  // }}
  StmtOpen,   // {%
  StmtClose,  // %}
  Name,
  String,     // text holds the decoded value
  Int,
  Float,
  Punct,      // operators and brackets, text holds the symbol
  End,
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0.0;
  size_t offset = 0;  // byte offset in the source
  int line = 1;
  int column = 1;
};

// Jinja environment switches; the defaults are the ones Hugging Face renders chat templates with.
struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Tokenizes a whole template; the last token is End. Errors carry line and column.
Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options);

}  // namespace tachyon::jinja
