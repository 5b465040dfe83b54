#include "frontend/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace tachyon::jinja {

namespace {

struct ParseFailure {
  std::string message;
  const Token* at;
};

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : tokens_(tokens) {}

  Body parse_template() {
    Body body;
    parse_body(body, {});
    return body;
  }

 private:
  // ---- token helpers ----

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& token = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return token;
  }
  bool is_punct(std::string_view symbol, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::Punct && peek(ahead).text == symbol;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::Name && peek(ahead).text == name;
  }
  bool accept_punct(std::string_view symbol) {
    if (!is_punct(symbol)) return false;
    next();
    return true;
  }
  bool accept_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const std::string& message) const { throw ParseFailure{message, &peek()}; }
  static std::string describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::End: return "end of template";
      case TokenKind::Text: return "text";
      case TokenKind::String: return "string literal";
      default: return "'" + token.text + "'";
    }
  }
  void expect_punct(std::string_view symbol) {
    if (!accept_punct(symbol)) fail("expected '" + std::string(symbol) + "', got " + describe(peek()));
  }
  std::string expect_name() {
    if (peek().kind != TokenKind::Name) fail("expected a name, got " + describe(peek()));
    return next().text;
  }
  void expect_kind(TokenKind kind, std::string_view what) {
    if (peek().kind != kind) fail("expected " + std::string(what) + ", got " + describe(peek()));
    next();
  }
  void expect_stmt_close() { expect_kind(TokenKind::StmtClose, "'%}'"); }

  template <typename Node>
  std::unique_ptr<Node> make(typename Node::Kind kind, const Token& at) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->line = at.line;
    node->column = at.column;
    return node;
  }

  // ---- statements ----

  // Parses statements into `body` until a {% keyword %} from `stops`; returns that keyword with
  // the tag consumed up to the keyword, or "" at the end of the template.
  std::string parse_body(Body& body, std::initializer_list<std::string_view> stops) {
    while (true) {
      const Token& token = peek();
      switch (token.kind) {
        case TokenKind::End:
          if (stops.size() != 0) fail("unexpected end of template, expected '" + std::string(*stops.begin()) + "'");
          return "";
        case TokenKind::Text: {
          auto stmt = make<Stmt>(Stmt::Kind::Text, token);
          stmt->text = next().text;
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::ExprOpen: {
          auto stmt = make<Stmt>(Stmt::Kind::Output, token);
          next();
          stmt->expr = parse_expression();
          expect_kind(TokenKind::ExprClose, "'}}'");
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::StmtOpen: {
          const Token& keyword = peek(1);
          if (keyword.kind != TokenKind::Name) {
            next();
            fail("expected a statement name, got " + describe(keyword));
          }
          if (std::find(stops.begin(), stops.end(), keyword.text) != stops.end()) {
            next();
            return next().text;
          }
          next();
          parse_statement(body);
          break;
        }
        default:
          fail("unexpected " + describe(token));
      }
    }
  }

  // Consumes what may follow an end keyword ({% endmacro name %}) and the closing %}.
  void finish_end_tag() {
    if (peek().kind == TokenKind::Name) next();
    expect_stmt_close();
  }

  void parse_statement(Body& body) {
    const Token& keyword = peek();
    std::string name = next().text;
    if (name == "if") {
      body.push_back(parse_if(keyword));
    } else if (name == "for") {
      body.push_back(parse_for(keyword));
    } else if (name == "set") {
      body.push_back(parse_set(keyword));
    } else if (name == "macro") {
      auto stmt = make<Stmt>(Stmt::Kind::Macro, keyword);
      stmt->name = expect_name();
      stmt->params = parse_params();
      expect_stmt_close();
      parse_body(stmt->body, {"endmacro"});
      finish_end_tag();
      body.push_back(std::move(stmt));
    } else if (name == "call") {
      auto stmt = make<Stmt>(Stmt::Kind::CallBlock, keyword);
      if (is_punct("(")) stmt->params = parse_params();
      stmt->expr = parse_expression();
      if (stmt->expr->kind != Expr::Kind::Call) fail("'call' expects a macro call");
      expect_stmt_close();
      parse_body(stmt->body, {"endcall"});
      finish_end_tag();
      body.push_back(std::move(stmt));
    } else if (name == "filter") {
      auto stmt = make<Stmt>(Stmt::Kind::FilterBlock, keyword);
      stmt->expr = parse_filter(nullptr);
      while (accept_punct("|")) stmt->expr = parse_filter(std::move(stmt->expr));
      expect_stmt_close();
      parse_body(stmt->body, {"endfilter"});
      finish_end_tag();
      body.push_back(std::move(stmt));
    } else if (name == "break" || name == "continue") {
      body.push_back(make<Stmt>(name == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue, keyword));
      expect_stmt_close();
    } else if (name == "generation") {
      // Hugging Face marks assistant spans for training masks; for rendering it is transparent.
      expect_stmt_close();
      parse_body(body, {"endgeneration"});
      finish_end_tag();
    } else {
      pos_--;
      fail("unknown statement '" + name + "'");
    }
  }

  StmtPtr parse_if(const Token& keyword) {
    auto stmt = make<Stmt>(Stmt::Kind::If, keyword);
    ExprPtr condition = parse_expression();
    while (true) {
      expect_stmt_close();
      Body branch;
      std::string stop = parse_body(branch, {"elif", "else", "endif"});
      stmt->branches.emplace_back(std::move(condition), std::move(branch));
      if (stop == "endif") break;
      if (stop == "elif") {
        condition = parse_expression();
        continue;
      }
      expect_stmt_close();
      Body else_branch;
      parse_body(else_branch, {"endif"});
      stmt->branches.emplace_back(nullptr, std::move(else_branch));
      break;
    }
    finish_end_tag();
    return stmt;
  }

  std::vector<std::string> parse_targets() {
    bool parenthesized = accept_punct("(");
    std::vector<std::string> targets = {expect_name()};
    while (accept_punct(",")) targets.push_back(expect_name());
    if (parenthesized) expect_punct(")");
    return targets;
  }

  StmtPtr parse_for(const Token& keyword) {
    auto stmt = make<Stmt>(Stmt::Kind::For, keyword);
    stmt->targets = parse_targets();
    if (!accept_name("in")) fail("expected 'in' in for loop");
    stmt->expr = parse_expression(/*allow_conditional=*/false);
    if (accept_name("if")) stmt->condition = parse_expression(false);
    if (is_name("recursive")) fail("recursive loops are not supported");
    expect_stmt_close();
    if (parse_body(stmt->body, {"else", "endfor"}) == "else") {
      expect_stmt_close();
      parse_body(stmt->else_body, {"endfor"});
    }
    finish_end_tag();
    return stmt;
  }

  StmtPtr parse_set(const Token& keyword) {
    auto stmt = make<Stmt>(Stmt::Kind::Set, keyword);
    stmt->targets = {expect_name()};
    if (accept_punct(".")) {
      stmt->attribute = expect_name();
    } else {
      while (accept_punct(",")) stmt->targets.push_back(expect_name());
    }
    if (peek().kind == TokenKind::StmtClose && stmt->targets.size() == 1 && stmt->attribute.empty()) {
      stmt->kind = Stmt::Kind::SetBlock;
      next();
      parse_body(stmt->body, {"endset"});
      finish_end_tag();
      return stmt;
    }
    expect_punct("=");
    stmt->expr = parse_expression();
    if (is_punct(",")) {
      auto tuple = make<Expr>(Expr::Kind::Tuple, peek());
      tuple->args.push_back(std::move(stmt->expr));
      while (accept_punct(",")) tuple->args.push_back(parse_expression());
      stmt->expr = std::move(tuple);
    }
    expect_stmt_close();
    return stmt;
  }

  NamedExprs parse_params() {
    NamedExprs params;
    expect_punct("(");
    while (!is_punct(")")) {
      std::string param = expect_name();
      ExprPtr default_value;
      if (accept_punct("=")) default_value = parse_expression();
      params.emplace_back(std::move(param), std::move(default_value));
      if (!accept_punct(",")) break;
    }
    expect_punct(")");
    return params;
  }

  // ---- expressions, lowest precedence first ----

  ExprPtr parse_expression(bool allow_conditional = true) {
    ExprPtr value = parse_or();
    while (allow_conditional && is_name("if")) {
      auto conditional = make<Expr>(Expr::Kind::Conditional, next());
      conditional->args.push_back(std::move(value));
      conditional->args.push_back(parse_or());
      conditional->args.push_back(accept_name("else") ? parse_expression() : nullptr);
      value = std::move(conditional);
    }
    return value;
  }

  // Binary nodes are located at their left operand, where the whole expression starts.
  ExprPtr binary(const Token& at, std::string op, ExprPtr left, ExprPtr right) {
    auto node = make<Expr>(Expr::Kind::Binary, at);
    node->line = left->line;
    node->column = left->column;
    node->name = std::move(op);
    node->args.push_back(std::move(left));
    node->args.push_back(std::move(right));
    return node;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Token& at = next();
      left = binary(at, "or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Token& at = next();
      left = binary(at, "and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (!is_name("not")) return parse_compare();
    auto node = make<Expr>(Expr::Kind::Unary, next());
    node->name = "not";
    node->args.push_back(parse_not());
    return node;
  }

  ExprPtr parse_compare() {
    ExprPtr left = parse_math1();
    while (true) {
      const Token& at = peek();
      std::string op;
      if (at.kind == TokenKind::Punct &&
          (at.text == "==" || at.text == "!=" || at.text == "<" || at.text == ">" || at.text == "<=" ||
           at.text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        return left;
      }
      left = binary(at, op, std::move(left), parse_math1());
    }
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_punct("+") || is_punct("-")) {
      const Token& at = next();
      left = binary(at, at.text, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_punct("~")) {
      const Token& at = next();
      left = binary(at, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_punct("*") || is_punct("/") || is_punct("//") || is_punct("%")) {
      const Token& at = next();
      left = binary(at, at.text, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_punct("**")) {
      const Token& at = next();
      left = binary(at, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr node;
    if (is_punct("-") || is_punct("+")) {
      node = make<Expr>(Expr::Kind::Unary, peek());
      node->name = next().text;
      node->args.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filters_and_tests(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::Name: {
        next();
        auto node = make<Expr>(Expr::Kind::Literal, token);
        if (token.text == "true" || token.text == "True") node->literal = Value(true);
        else if (token.text == "false" || token.text == "False") node->literal = Value(false);
        else if (token.text == "none" || token.text == "None") node->literal = Value::none();
        else {
          node->kind = Expr::Kind::Name;
          node->name = token.text;
        }
        return node;
      }
      case TokenKind::String: {
        auto node = make<Expr>(Expr::Kind::Literal, token);
        std::string text;
        while (peek().kind == TokenKind::String) text += next().text;
        node->literal = Value(std::move(text));
        return node;
      }
      case TokenKind::Int: {
        auto node = make<Expr>(Expr::Kind::Literal, next());
        node->literal = Value(token.int_value);
        return node;
      }
      case TokenKind::Float: {
        auto node = make<Expr>(Expr::Kind::Literal, next());
        node->literal = Value(token.float_value);
        return node;
      }
      case TokenKind::Punct:
        if (token.text == "(") return parse_parenthesized();
        if (token.text == "[") return parse_sequence(Expr::Kind::List, "]");
        if (token.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    fail("unexpected " + describe(token));
  }

  ExprPtr parse_parenthesized() {
    const Token& open = next();
    if (accept_punct(")")) return make<Expr>(Expr::Kind::Tuple, open);
    ExprPtr inner = parse_expression();
    if (!is_punct(",")) {
      expect_punct(")");
      return inner;
    }
    auto tuple = make<Expr>(Expr::Kind::Tuple, open);
    tuple->args.push_back(std::move(inner));
    while (accept_punct(",") && !is_punct(")")) tuple->args.push_back(parse_expression());
    expect_punct(")");
    return tuple;
  }

  ExprPtr parse_sequence(Expr::Kind kind, std::string_view close) {
    auto node = make<Expr>(kind, next());
    while (!is_punct(close)) {
      node->args.push_back(parse_expression());
      if (!accept_punct(",")) break;
    }
    expect_punct(close);
    return node;
  }

  ExprPtr parse_dict() {
    auto node = make<Expr>(Expr::Kind::Dict, next());
    while (!is_punct("}")) {
      node->args.push_back(parse_expression());
      expect_punct(":");
      node->args.push_back(parse_expression());
      if (!accept_punct(",")) break;
    }
    expect_punct("}");
    return node;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const Token& at = peek();
      if (accept_punct(".")) {
        auto attr = make<Expr>(Expr::Kind::Attribute, at);
        if (peek().kind == TokenKind::Int) {
          attr->kind = Expr::Kind::Index;
          attr->args.push_back(std::move(node));
          auto index = make<Expr>(Expr::Kind::Literal, peek());
          index->literal = Value(next().int_value);
          attr->args.push_back(std::move(index));
        } else {
          attr->name = expect_name();
          attr->args.push_back(std::move(node));
        }
        node = std::move(attr);
      } else if (is_punct("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_punct("(")) {
        auto call = make<Expr>(Expr::Kind::Call, at);
        call->line = node->line;
        call->column = node->column;
        call->args.push_back(std::move(node));
        parse_call_args(*call);
        node = std::move(call);
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr base) {
    auto node = make<Expr>(Expr::Kind::Index, next());
    node->args.push_back(std::move(base));
    ExprPtr bounds[3];
    if (!is_punct(":")) bounds[0] = parse_expression();
    if (accept_punct(":")) {
      node->kind = Expr::Kind::Slice;
      if (!is_punct(":") && !is_punct("]")) bounds[1] = parse_expression();
      if (accept_punct(":") && !is_punct("]")) bounds[2] = parse_expression();
      for (ExprPtr& bound : bounds) node->args.push_back(std::move(bound));
    } else {
      node->args.push_back(std::move(bounds[0]));
    }
    expect_punct("]");
    return node;
  }

  // Parses "(a, b, key=c)" into node.args (after what is already there) and node.kwargs.
  void parse_call_args(Expr& node) {
    expect_punct("(");
    while (!is_punct(")")) {
      if (peek().kind == TokenKind::Name && is_punct("=", 1)) {
        std::string key = next().text;
        next();
        node.kwargs.emplace_back(std::move(key), parse_expression());
      } else {
        node.args.push_back(parse_expression());
      }
      if (!accept_punct(",")) break;
    }
    expect_punct(")");
  }

  ExprPtr parse_filter(ExprPtr input) {
    auto filter = make<Expr>(Expr::Kind::Filter, peek());
    filter->name = expect_name();
    filter->args.push_back(std::move(input));
    if (is_punct("(")) parse_call_args(*filter);
    return filter;
  }

  ExprPtr parse_filters_and_tests(ExprPtr node) {
    while (true) {
      if (accept_punct("|")) {
        node = parse_filter(std::move(node));
      } else if (is_name("is")) {
        auto test = make<Expr>(Expr::Kind::Test, next());
        test->negated = accept_name("not");
        if (peek().kind == TokenKind::Punct && (peek().text == "==" || peek().text == "!=" ||
                                                peek().text == "<" || peek().text == ">" ||
                                                peek().text == "<=" || peek().text == ">=")) {
          test->name = next().text;
        } else {
          test->name = expect_name();
        }
        test->args.push_back(std::move(node));
        if (is_punct("(")) {
          parse_call_args(*test);
        } else if (takes_bare_test_argument()) {
          test->args.push_back(parse_postfix(parse_primary()));
        }
        node = std::move(test);
      } else {
        return node;
      }
    }
  }

  // `x is divisibleby 3`, `x is sameas false`: one argument may follow a test without brackets.
  bool takes_bare_test_argument() const {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::String:
      case TokenKind::Int:
      case TokenKind::Float: return true;
      case TokenKind::Name:
        return token.text != "else" && token.text != "or" && token.text != "and" && token.text != "if" &&
               token.text != "in" && token.text != "is" && token.text != "not";
      case TokenKind::Punct: return token.text == "[" || token.text == "{";
      default: return false;
    }
  }

  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
};

}  // namespace

Result<Body> parse(const std::vector<Token>& tokens) {
  if (tokens.empty() || tokens.back().kind != TokenKind::End) return Error{"token stream must end with End"};
  try {
    return Parser(tokens).parse_template();
  } catch (const ParseFailure& failure) {
    return make_error("line {}, column {}: {}", failure.at->line, failure.at->column, failure.message);
  }
}

}  // namespace tachyon::jinja
