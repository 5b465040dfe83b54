#include "frontend/jinja/evaluator.h"

#include <cmath>
#include <memory>
#include <unordered_map>

#include "frontend/jinja/filters.h"
#include "frontend/jinja/methods.h"

namespace tachyon::jinja {

namespace {

// One level of variables. Loop bodies and macro calls open a child scope, so a `set` inside
// them is invisible outside, as in Jinja (which is why templates use namespace()).
struct Scope {
  std::shared_ptr<Scope> parent;
  std::unordered_map<std::string, Value> vars;

  const Value* lookup(const std::string& name) const {
    for (const Scope* scope = this; scope != nullptr; scope = scope->parent.get()) {
      auto it = scope->vars.find(name);
      if (it != scope->vars.end()) return &it->second;
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

ScopePtr child_scope(const ScopePtr& parent) {
  auto scope = std::make_shared<Scope>();
  scope->parent = parent;
  return scope;
}

enum class Flow { Normal, Break, Continue };

// A JinjaError that already names its location. Enclosing nodes let it pass unchanged, so the
// reported position is that of the innermost failing node.
struct LocatedError {
  std::string message;
};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value(a.str() + b.str());
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
    if (a.is_array() && b.is_array()) {
      Array joined = a.array();
      joined.insert(joined.end(), b.array().begin(), b.array().end());
      return Value(std::move(joined));
    }
  }
  if (op == "*" && a.is_string() != b.is_string() && (a.is_int() || b.is_int())) {
    const std::string& s = a.is_string() ? a.as_string() : b.as_string();
    int64_t n = a.is_string() ? b.as_int() : a.as_int();
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += s;
    return Value(out);
  }
  bool numeric = (a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool());
  if (!numeric) {
    throw JinjaError{"unsupported operand types for " + op + ": " + a.type_name() + " and " + b.type_name()};
  }
  bool integral = !a.is_float() && !b.is_float();
  if (op == "/") {
    if (b.as_number() == 0) throw JinjaError{"division by zero"};
    return Value(a.as_number() / b.as_number());
  }
  if (op == "//" || op == "%") {
    if (b.as_number() == 0) throw JinjaError{"division by zero"};
    if (integral) {
      int64_t q = floor_div(a.as_int(), b.as_int());
      return op == "//" ? Value(q) : Value(a.as_int() - q * b.as_int());
    }
    double q = std::floor(a.as_number() / b.as_number());
    return op == "//" ? Value(q) : Value(a.as_number() - q * b.as_number());
  }
  if (op == "**") {
    if (integral && b.as_int() >= 0) {
      int64_t result = 1;
      for (int64_t i = 0; i < b.as_int(); ++i) result *= a.as_int();
      return Value(result);
    }
    return Value(std::pow(a.as_number(), b.as_number()));
  }
  if (integral) {
    if (op == "+") return Value(a.as_int() + b.as_int());
    if (op == "-") return Value(a.as_int() - b.as_int());
    if (op == "*") return Value(a.as_int() * b.as_int());
  } else {
    if (op == "+") return Value(a.as_number() + b.as_number());
    if (op == "-") return Value(a.as_number() - b.as_number());
    if (op == "*") return Value(a.as_number() * b.as_number());
  }
  throw JinjaError{"unknown operator " + op};
}

bool contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) throw JinjaError{"'in <string>' requires a string on the left"};
    return container.as_string().find(item.as_string()) != std::string::npos;
  }
  if (container.is_object()) return item.is_string() && container.object().find(item.as_string()) != nullptr;
  for (const Value& element : iterate(container)) {
    if (element == item) return true;
  }
  return false;
}

// Python's l[start:stop:step] on a list or a string.
Value slice(const Value& base, const Value& start_arg, const Value& stop_arg, const Value& step_arg) {
  bool is_string = base.is_string();
  Array items = iterate(base);
  int64_t n = static_cast<int64_t>(items.size());
  int64_t step = step_arg.is_undefined() || step_arg.is_none() ? 1 : step_arg.as_int();
  if (step == 0) throw JinjaError{"slice step cannot be zero"};
  auto bound = [&](const Value& arg, int64_t fallback) {
    if (arg.is_undefined() || arg.is_none()) return fallback;
    int64_t i = arg.as_int();
    if (i < 0) i += n;
    return step > 0 ? std::clamp<int64_t>(i, 0, n) : std::clamp<int64_t>(i, -1, n - 1);
  };
  int64_t start = bound(start_arg, step > 0 ? 0 : n - 1);
  int64_t stop = bound(stop_arg, step > 0 ? n : -1);
  Array out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(items[static_cast<size_t>(i)]);
  if (!is_string) return Value(std::move(out));
  std::string joined;
  for (const Value& c : out) joined += c.as_string();
  return Value(joined);
}

Value subscript(const Value& base, const Value& key) {
  if (base.is_object()) {
    if (!key.is_string()) return Value();
    const Value* found = base.object().find(key.as_string());
    return found != nullptr ? *found : Value();
  }
  if (base.is_array() || base.is_string()) {
    if (!key.is_int()) return Value();
    Array items = base.is_array() ? Array() : iterate(base);
    const Array& sequence = base.is_array() ? base.array() : items;
    int64_t n = static_cast<int64_t>(sequence.size());
    int64_t i = key.as_int() < 0 ? key.as_int() + n : key.as_int();
    if (i < 0 || i >= n) return Value();
    return sequence[static_cast<size_t>(i)];
  }
  return Value();
}

class Evaluator {
 public:
  Flow exec(const Body& body, const ScopePtr& scope, std::string& out) {
    for (const StmtPtr& stmt : body) {
      Flow flow = exec(*stmt, scope, out);
      if (flow != Flow::Normal) return flow;
    }
    return Flow::Normal;
  }

  // The innermost expression or statement that failed names the location.
  Flow exec(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
    try {
      return exec_unlocated(stmt, scope, out);
    } catch (const JinjaError& error) {
      throw LocatedError{locate(stmt.line, stmt.column, error)};
    }
  }

  Value eval(const Expr& expr, const ScopePtr& scope) {
    try {
      return eval_unlocated(expr, scope);
    } catch (const JinjaError& error) {
      throw LocatedError{locate(expr.line, expr.column, error)};
    }
  }

 private:
  static std::string locate(int line, int column, const JinjaError& error) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + error.message;
  }

  Flow exec_unlocated(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
    switch (stmt.kind) {
      case Stmt::Kind::Text: out += stmt.text; return Flow::Normal;
      case Stmt::Kind::Output: out += eval(*stmt.expr, scope).str(); return Flow::Normal;
      case Stmt::Kind::If:
        for (const auto& [condition, branch] : stmt.branches) {
          if (condition == nullptr || eval(*condition, scope).truthy()) return exec(branch, scope, out);
        }
        return Flow::Normal;
      case Stmt::Kind::For: exec_for(stmt, scope, out); return Flow::Normal;
      case Stmt::Kind::Set: assign(stmt, eval(*stmt.expr, scope), scope); return Flow::Normal;
      case Stmt::Kind::SetBlock: {
        std::string captured;
        exec(stmt.body, scope, captured);
        assign(stmt, Value(captured), scope);
        return Flow::Normal;
      }
      case Stmt::Kind::Macro: scope->vars[stmt.name] = make_macro(stmt, scope); return Flow::Normal;
      case Stmt::Kind::CallBlock: {
        const Expr& call = *stmt.expr;
        CallArgs args = eval_args(call, scope);
        args.named.emplace_back("caller", make_macro(stmt, scope));
        out += eval(*call.args[0], scope).function()(args).str();
        return Flow::Normal;
      }
      case Stmt::Kind::FilterBlock: {
        std::string captured;
        exec(stmt.body, scope, captured);
        out += apply_filter_chain(*stmt.expr, Value(captured), scope).str();
        return Flow::Normal;
      }
      case Stmt::Kind::Break: return Flow::Break;
      case Stmt::Kind::Continue: return Flow::Continue;
    }
    return Flow::Normal;
  }

  void bind_targets(const std::vector<std::string>& targets, const Value& value, Scope& scope) {
    if (targets.size() == 1) {
      scope.vars[targets[0]] = value;
      return;
    }
    Array parts = iterate(value);
    if (parts.size() != targets.size()) {
      throw JinjaError{"cannot unpack " + std::to_string(parts.size()) + " values into " +
                       std::to_string(targets.size()) + " names"};
    }
    for (size_t i = 0; i < targets.size(); ++i) scope.vars[targets[i]] = parts[i];
  }

  void assign(const Stmt& stmt, Value value, const ScopePtr& scope) {
    if (stmt.attribute.empty()) {
      bind_targets(stmt.targets, value, *scope);
      return;
    }
    const Value* target = scope->lookup(stmt.targets[0]);
    if (target == nullptr || !target->is_object()) {
      throw JinjaError{"cannot set attribute '" + stmt.attribute + "' on '" + stmt.targets[0] + "'"};
    }
    target->object().set(stmt.attribute, std::move(value));
  }

  void exec_for(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
    Array items = iterate(eval(*stmt.expr, scope));
    if (stmt.condition != nullptr) {
      Array kept;
      for (const Value& item : items) {
        ScopePtr probe = child_scope(scope);
        bind_targets(stmt.targets, item, *probe);
        if (eval(*stmt.condition, probe).truthy()) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec(stmt.else_body, scope, out);
      return;
    }
    int64_t length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
      ScopePtr body_scope = child_scope(scope);
      bind_targets(stmt.targets, items[static_cast<size_t>(i)], *body_scope);
      Object loop;
      loop.set("index", Value(i + 1));
      loop.set("index0", Value(i));
      loop.set("revindex", Value(length - i));
      loop.set("revindex0", Value(length - i - 1));
      loop.set("first", Value(i == 0));
      loop.set("last", Value(i == length - 1));
      loop.set("length", Value(length));
      loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value());
      loop.set("nextitem", i + 1 < length ? items[static_cast<size_t>(i + 1)] : Value());
      loop.set("cycle", Value(Function([i](const CallArgs& args) {
        if (args.positional.empty()) throw JinjaError{"loop.cycle needs at least one value"};
        return args.positional[static_cast<size_t>(i) % args.positional.size()];
      })));
      body_scope->vars["loop"] = Value(std::move(loop));
      if (exec(stmt.body, body_scope, out) == Flow::Break) break;
    }
  }

  // A macro (or a call block's `caller`) as a callable value closing over its defining scope.
  // The scope is held weakly: the macro is stored in that scope, and a strong reference would
  // make a cycle that is never freed.
  Value make_macro(const Stmt& stmt, const ScopePtr& defining_scope) {
    std::weak_ptr<Scope> closure = defining_scope;
    return Value(Function([this, &stmt, closure](const CallArgs& args) {
      ScopePtr parent = closure.lock();
      if (parent == nullptr) throw JinjaError{"macro '" + stmt.name + "' called after its scope ended"};
      ScopePtr scope = child_scope(parent);
      for (size_t i = 0; i < stmt.params.size(); ++i) {
        const auto& [param, default_value] = stmt.params[i];
        const Value* given = args.get(i, param);
        scope->vars[param] = given != nullptr ? *given : default_value ? eval(*default_value, scope) : Value();
      }
      for (const auto& [key, value] : args.named) {
        if (key == "caller") scope->vars[key] = value;
      }
      std::string out;
      exec(stmt.body, scope, out);
      return Value(out);
    }));
  }

  CallArgs eval_args(const Expr& expr, const ScopePtr& scope) {
    CallArgs args;
    for (size_t i = 1; i < expr.args.size(); ++i) args.positional.push_back(eval(*expr.args[i], scope));
    for (const auto& [key, value] : expr.kwargs) args.named.emplace_back(key, eval(*value, scope));
    return args;
  }

  // A {% filter %} block's chain: the innermost filter has a null input, the body text.
  Value apply_filter_chain(const Expr& filter, Value input, const ScopePtr& scope) {
    if (filter.args[0] != nullptr) input = apply_filter_chain(*filter.args[0], std::move(input), scope);
    return apply_filter(filter.name, input, eval_args(filter, scope));
  }

  Value eval_call(const Expr& expr, const ScopePtr& scope) {
    const Expr& callee = *expr.args[0];
    if (callee.kind == Expr::Kind::Attribute) {
      Value self = eval(*callee.args[0], scope);
      CallArgs args = eval_args(expr, scope);
      if (self.is_object()) {
        const Value* member = self.object().find(callee.name);
        if (member != nullptr && member->is_function()) return member->function()(args);
      }
      if (self.is_undefined()) throw JinjaError{"'" + callee.name + "' called on an undefined value"};
      return call_method(self, callee.name, args);
    }
    Value function = eval(callee, scope);
    if (function.is_undefined()) {
      std::string name = callee.kind == Expr::Kind::Name ? "'" + callee.name + "' " : "";
      throw JinjaError{"function " + name + "is undefined"};
    }
    CallArgs args = eval_args(expr, scope);
    return function.function()(args);
  }

  Value eval_binary(const Expr& expr, const ScopePtr& scope) {
    const std::string& op = expr.name;
    Value left = eval(*expr.args[0], scope);
    if (op == "and") return left.truthy() ? eval(*expr.args[1], scope) : left;
    if (op == "or") return left.truthy() ? left : eval(*expr.args[1], scope);
    Value right = eval(*expr.args[1], scope);
    if (op == "==") return Value(left == right);
    if (op == "!=") return Value(!(left == right));
    if (op == "<") return Value(compare(left, right) < 0);
    if (op == ">") return Value(compare(left, right) > 0);
    if (op == "<=") return Value(compare(left, right) <= 0);
    if (op == ">=") return Value(compare(left, right) >= 0);
    if (op == "in") return Value(contains(right, left));
    if (op == "not in") return Value(!contains(right, left));
    return arithmetic(op, left, right);
  }

  Value eval_unlocated(const Expr& expr, const ScopePtr& scope) {
    switch (expr.kind) {
      case Expr::Kind::Literal: return expr.literal;
      case Expr::Kind::Name: {
        const Value* found = scope->lookup(expr.name);
        return found != nullptr ? *found : Value();
      }
      case Expr::Kind::List:
      case Expr::Kind::Tuple: {
        Array items;
        for (const ExprPtr& item : expr.args) items.push_back(eval(*item, scope));
        return Value(std::move(items));
      }
      case Expr::Kind::Dict: {
        Object object;
        for (size_t i = 0; i + 1 < expr.args.size(); i += 2) {
          object.set(eval(*expr.args[i], scope).str(), eval(*expr.args[i + 1], scope));
        }
        return Value(std::move(object));
      }
      case Expr::Kind::Attribute: return subscript(eval(*expr.args[0], scope), Value(expr.name));
      case Expr::Kind::Index: return subscript(eval(*expr.args[0], scope), eval(*expr.args[1], scope));
      case Expr::Kind::Slice: {
        auto optional = [&](const ExprPtr& bound) { return bound ? eval(*bound, scope) : Value(); };
        return slice(eval(*expr.args[0], scope), optional(expr.args[1]), optional(expr.args[2]), optional(expr.args[3]));
      }
      case Expr::Kind::Call: return eval_call(expr, scope);
      case Expr::Kind::Filter: {
        Value input = eval(*expr.args[0], scope);
        return apply_filter(expr.name, input, eval_args(expr, scope));
      }
      case Expr::Kind::Test: {
        Value input = eval(*expr.args[0], scope);
        bool result = apply_test(expr.name, input, eval_args(expr, scope));
        return Value(result != expr.negated);
      }
      case Expr::Kind::Unary: {
        Value operand = eval(*expr.args[0], scope);
        if (expr.name == "not") return Value(!operand.truthy());
        if (expr.name == "+") return operand;
        if (operand.is_int()) return Value(-operand.as_int());
        return Value(-operand.as_number());
      }
      case Expr::Kind::Binary: return eval_binary(expr, scope);
      case Expr::Kind::Conditional:
        if (eval(*expr.args[1], scope).truthy()) return eval(*expr.args[0], scope);
        return expr.args[2] ? eval(*expr.args[2], scope) : Value();
    }
    return Value();
  }
};

Value range_function(const CallArgs& args) {
  if (args.positional.empty() || args.positional.size() > 3) throw JinjaError{"range expects 1 to 3 arguments"};
  int64_t start = 0;
  int64_t stop = 0;
  int64_t step = 1;
  if (args.positional.size() == 1) {
    stop = args.positional[0].as_int();
  } else {
    start = args.positional[0].as_int();
    stop = args.positional[1].as_int();
    if (args.positional.size() == 3) step = args.positional[2].as_int();
  }
  if (step == 0) throw JinjaError{"range step cannot be zero"};
  Array out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
  return Value(std::move(out));
}

// namespace(a=1) and dict(a=1): a fresh dict from keyword arguments (and an optional dict).
Value dict_function(const CallArgs& args) {
  Object object;
  if (!args.positional.empty()) {
    for (const auto& [key, value] : args.positional[0].object().entries()) object.set(key, value);
  }
  for (const auto& [key, value] : args.named) object.set(key, value);
  return Value(std::move(object));
}

}  // namespace

std::string render_program(const Body& program, const Object& globals) {
  auto root = std::make_shared<Scope>();
  root->vars["range"] = Value(Function(range_function));
  root->vars["namespace"] = Value(Function(dict_function));
  root->vars["dict"] = Value(Function(dict_function));
  for (const auto& [name, value] : globals.entries()) root->vars[name] = value;
  Evaluator evaluator;
  std::string out;
  try {
    evaluator.exec(program, child_scope(root), out);
  } catch (const LocatedError& error) {
    throw JinjaError{error.message};
  }
  return out;
}

}  // namespace tachyon::jinja
