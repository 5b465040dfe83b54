#pragma once
// Syntax tree of a parsed Jinja template: expressions and statements as plain tagged structs,
// built by the parser and walked by the evaluator.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "frontend/jinja/value.h"

namespace tachyon::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
using NamedExprs = std::vector<std::pair<std::string, ExprPtr>>;

struct Expr {
  enum class Kind {
    Literal,      // literal
    Name,         // name
    List,         // args: elements
    Tuple,        // args: elements (evaluates to a list)
    Dict,         // args: key0, value0, key1, value1, ...
    Attribute,    // args[0].name
    Index,        // args[0][args[1]]
    Slice,        // args[0][args[1]:args[2]:args[3]], missing bounds are null
    Call,         // args[0](args[1:], kwargs)
    Filter,       // args[0] | name(args[1:], kwargs)
    Test,         // args[0] is [not] name(args[1:], kwargs); negated for `is not`
    Unary,        // name in {"-", "+", "not"} applied to args[0]
    Binary,       // args[0] name args[1]; name is an operator, "and", "or", "in" or "not in"
    Conditional,  // args[0] if args[1] else args[2] (args[2] may be null)
  };

  Kind kind = Kind::Literal;
  int line = 0;
  int column = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  NamedExprs kwargs;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    Text,         // text
    Output,       // {{ expr }}
    If,           // branches: (condition, body); a final else has a null condition
    For,          // for targets in expr [if condition]: body [else else_body]
    Set,          // set targets = expr, or set targets[0].attribute = expr
    SetBlock,     // set targets[0] %} body {% endset
    Macro,        // macro name(params) body
    CallBlock,    // call(params) expr: body is the `caller` macro
    FilterBlock,  // filter: body rendered, then passed through expr (a Filter with null input)
    Break,
    Continue,
  };

  Kind kind = Kind::Text;
  int line = 0;
  int column = 0;
  std::string text;
  std::string name;
  std::string attribute;
  std::vector<std::string> targets;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  NamedExprs params;  // macro parameters with their default (null when none)
};

}  // namespace tachyon::jinja
