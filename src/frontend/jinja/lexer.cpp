#include "frontend/jinja/lexer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace tachyon::jinja {

namespace {

struct LexFailure {
  std::string message;
  size_t offset;
};

enum class TagKind { Expr, Stmt, Comment };

// A stretch of raw text or one tag. Whitespace control needs both neighbours of a text piece,
// so tags are collected first and text is trimmed in a second pass.
struct Piece {
  bool is_tag = false;
  size_t offset = 0;
  std::string text;
  TagKind tag_kind = TagKind::Expr;
  char open_mark = 0;   // '-' or '+' right after the opening delimiter
  char close_mark = 0;  // '-' or '+' right before the closing delimiter
  std::vector<Token> tokens;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Splitter {
 public:
  explicit Splitter(std::string_view src) : src_(src) {}

  std::vector<Piece> run() {
    std::vector<Piece> pieces;
    size_t pos = 0;
    while (pos < src_.size()) {
      size_t open = find_tag_open(pos);
      if (open > pos) {
        Piece text;
        text.offset = pos;
        text.text = std::string(src_.substr(pos, open - pos));
        pieces.push_back(std::move(text));
      }
      if (open == src_.size()) break;
      pieces.push_back(lex_tag(open, pos));
    }
    return pieces;
  }

 private:
  size_t find_tag_open(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return src_.size();
  }

  bool starts_with(size_t pos, std::string_view s) const { return src_.substr(pos, s.size()) == s; }

  Piece lex_tag(size_t open, size_t& pos) {
    Piece tag;
    tag.is_tag = true;
    tag.offset = open;
    char kind = src_[open + 1];
    tag.tag_kind = kind == '{' ? TagKind::Expr : kind == '%' ? TagKind::Stmt : TagKind::Comment;
    pos = open + 2;
    if (pos < src_.size() && (src_[pos] == '-' || src_[pos] == '+')) tag.open_mark = src_[pos++];
    if (tag.tag_kind == TagKind::Comment) {
      size_t close = src_.find("#}", pos);
      if (close == std::string_view::npos) throw LexFailure{"unterminated comment", open};
      if (close > pos && (src_[close - 1] == '-' || src_[close - 1] == '+')) tag.close_mark = src_[close - 1];
      pos = close + 2;
      return tag;
    }
    std::string_view closer = tag.tag_kind == TagKind::Expr ? "}}" : "%}";
    Token open_token;
    open_token.kind = tag.tag_kind == TagKind::Expr ? TokenKind::ExprOpen : TokenKind::StmtOpen;
    open_token.text = std::string(src_.substr(open, 2));
    tag.tokens.push_back(with_offset(std::move(open_token), open));
    int depth = 0;
    while (true) {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
      if (pos >= src_.size()) throw LexFailure{"unterminated tag", open};
      if (depth == 0) {
        if ((src_[pos] == '-' || src_[pos] == '+') && starts_with(pos + 1, closer)) {
          tag.close_mark = src_[pos];
          ++pos;
        }
        if (starts_with(pos, closer)) {
          Token close_token;
          close_token.kind = tag.tag_kind == TagKind::Expr ? TokenKind::ExprClose : TokenKind::StmtClose;
          close_token.text = std::string(closer);
          tag.tokens.push_back(with_offset(std::move(close_token), pos));
          pos += 2;
          return tag;
        }
      }
      tag.tokens.push_back(lex_token(pos, depth));
    }
  }

  Token with_offset(Token token, size_t offset) {
    token.offset = offset;
    return token;
  }

  Token lex_token(size_t& pos, int& depth) {
    size_t start = pos;
    char c = src_[pos];
    Token token;
    if (is_ident_start(c)) {
      while (pos < src_.size() && is_ident_char(src_[pos])) ++pos;
      token.kind = TokenKind::Name;
      token.text = std::string(src_.substr(start, pos - start));
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number(pos, token);
    } else if (c == '\'' || c == '"') {
      lex_string(pos, token);
    } else {
      static constexpr std::string_view kTwoChar[] = {"==", "!=", "<=", ">=", "//", "**"};
      token.kind = TokenKind::Punct;
      for (std::string_view op : kTwoChar) {
        if (starts_with(pos, op)) token.text = std::string(op);
      }
      if (token.text.empty()) {
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) == std::string_view::npos) {
          throw LexFailure{std::string("unexpected character '") + c + "'", pos};
        }
        token.text = std::string(1, c);
        if (c == '(' || c == '[' || c == '{') ++depth;
        if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      }
      pos += token.text.size();
    }
    return with_offset(std::move(token), start);
  }

  void lex_number(size_t& pos, Token& token) {
    size_t start = pos;
    bool is_float = false;
    while (pos < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) ++pos;
    if (pos + 1 < src_.size() && src_[pos] == '.' && std::isdigit(static_cast<unsigned char>(src_[pos + 1]))) {
      is_float = true;
      ++pos;
      while (pos < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos]))) ++pos;
    }
    if (pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
      size_t exp = pos + 1;
      if (exp < src_.size() && (src_[exp] == '+' || src_[exp] == '-')) ++exp;
      if (exp < src_.size() && std::isdigit(static_cast<unsigned char>(src_[exp]))) {
        is_float = true;
        pos = exp;
        while (pos < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos]))) ++pos;
      }
    }
    std::string digits;
    for (char ch : src_.substr(start, pos - start)) {
      if (ch != '_') digits += ch;
    }
    token.text = digits;
    if (is_float) {
      token.kind = TokenKind::Float;
      // As Python's float(): out-of-range literals become inf or 0 (std::stod would throw).
      token.float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      token.kind = TokenKind::Int;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), token.int_value);
      if (ec != std::errc()) throw LexFailure{"integer literal out of range", start};
    }
  }

  void lex_string(size_t& pos, Token& token) {
    size_t start = pos;
    char quote = src_[pos++];
    std::string value;
    while (true) {
      if (pos >= src_.size()) throw LexFailure{"unterminated string literal", start};
      char ch = src_[pos++];
      if (ch == quote) break;
      if (ch != '\\' || pos >= src_.size()) {
        value += ch;
        continue;
      }
      char esc = src_[pos++];
      switch (esc) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case '0': value += '\0'; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case '\n': break;
        default:
          value += '\\';
          value += esc;
      }
    }
    token.kind = TokenKind::String;
    token.text = std::move(value);
  }

  std::string_view src_;
};

// Applies the whitespace rules to the text piece at `index` given its neighbouring tags.
void trim_text(std::vector<Piece>& pieces, size_t index, const LexerOptions& options) {
  const Piece* prev = index > 0 ? &pieces[index - 1] : nullptr;
  const Piece* next = index + 1 < pieces.size() ? &pieces[index + 1] : nullptr;
  const std::string& text = pieces[index].text;
  size_t begin = 0;
  size_t end = text.size();
  if (prev != nullptr) {
    if (prev->close_mark == '-') {
      while (begin < text.size() && is_space(text[begin])) ++begin;
    } else if (options.trim_blocks && prev->tag_kind != TagKind::Expr) {
      if (text.compare(0, 1, "\n") == 0) begin = 1;
      else if (text.compare(0, 2, "\r\n") == 0) begin = 2;
    }
  }
  if (next != nullptr) {
    if (next->open_mark == '-') {
      while (end > 0 && is_space(text[end - 1])) --end;
    } else if (options.lstrip_blocks && next->tag_kind != TagKind::Expr && next->open_mark != '+') {
      // Only whitespace that starts a line (or the template) is removed before a block tag.
      size_t line_start = text.find_last_of('\n');
      size_t tail = line_start == std::string::npos ? 0 : line_start + 1;
      bool at_line_start = line_start != std::string::npos || prev == nullptr;
      bool blank = std::all_of(text.begin() + static_cast<std::ptrdiff_t>(tail), text.end(),
                               [](char c) { return c == ' ' || c == '\t'; });
      if (at_line_start && blank) end = tail;
    }
  }
  pieces[index].text = begin < end ? text.substr(begin, end - begin) : std::string();
}

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options) {
  if (!options.keep_trailing_newline && !source.empty() && source.back() == '\n') {
    source.remove_suffix(source.size() >= 2 && source[source.size() - 2] == '\r' ? 2 : 1);
  }
  std::vector<size_t> line_starts = {0};
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\n') line_starts.push_back(i + 1);
  }
  auto locate = [&](size_t offset, Token& token) {
    token.offset = offset;
    auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts.begin());
    token.line = static_cast<int>(line);
    token.column = static_cast<int>(offset - line_starts[line - 1] + 1);
  };
  std::vector<Piece> pieces;
  try {
    pieces = Splitter(source).run();
  } catch (const LexFailure& failure) {
    Token at;
    locate(failure.offset, at);
    return make_error("line {}, column {}: {}", at.line, at.column, failure.message);
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!pieces[i].is_tag) trim_text(pieces, i, options);
  }
  std::vector<Token> tokens;
  for (Piece& piece : pieces) {
    if (!piece.is_tag) {
      if (piece.text.empty()) continue;
      Token text;
      text.kind = TokenKind::Text;
      text.text = std::move(piece.text);
      locate(piece.offset, text);
      tokens.push_back(std::move(text));
      continue;
    }
    for (Token& token : piece.tokens) {
      locate(token.offset, token);
      tokens.push_back(std::move(token));
    }
  }
  Token end;
  end.kind = TokenKind::End;
  locate(source.size(), end);
  tokens.push_back(std::move(end));
  return tokens;
}

}  // namespace tachyon::jinja
