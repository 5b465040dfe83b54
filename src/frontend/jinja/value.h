#pragma once
// Value: the dynamically typed value a Jinja template computes with, following Python's rules
// (truthiness, str(), ==, ordering) because chat templates are written against Python Jinja.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace tachyon::jinja {

// A failure while lexing, parsing or rendering. Thrown only inside the interpreter (evaluation
// is deeply recursive); Template converts it to an Error before it reaches any caller.
struct JinjaError {
  std::string message;
};

class Value;
class Object;
struct CallArgs;

using Function = std::function<Value(const CallArgs&)>;
using Array = std::vector<Value>;

// Arrays and objects are shared by reference, as Python lists and dicts are: a namespace() set
// inside a loop body is visible outside it.
class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, Array, Object, Function };

  Value() = default;
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Array a);
  Value(Object o);
  Value(Function f);

  static Value none() { return Value(nullptr); }
  static Value from_json(const nlohmann::ordered_json& json);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_none() const { return kind() == Kind::None; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::String; }
  bool is_array() const { return kind() == Kind::Array; }
  bool is_object() const { return kind() == Kind::Object; }
  bool is_function() const { return kind() == Kind::Function; }

  // Accessors throw JinjaError when the kind does not match.
  bool as_bool() const;
  int64_t as_int() const;
  double as_number() const;  // int or float as double
  const std::string& as_string() const;
  Array& array() const;
  Object& object() const;
  const Function& function() const;

  bool truthy() const;
  std::string str() const;   // Python str(); Undefined renders as ""
  std::string repr() const;  // Python repr(), used for items inside containers
  // Python json.dumps(ensure_ascii=False): indent < 0 gives the one-line ", " / ": " form.
  std::string to_json(int indent = -1, bool sort_keys = false) const;
  std::string type_name() const;

  bool operator==(const Value& other) const;

 private:
  explicit Value(std::nullptr_t) : v_(nullptr) {}
  std::variant<std::monostate, std::nullptr_t, bool, int64_t, double, std::string,
               std::shared_ptr<Array>, std::shared_ptr<Object>, std::shared_ptr<Function>>
      v_;
};

// Arguments of a call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;

  // The argument at position `index`, else the one called `name`, else nullptr.
  const Value* get(size_t index, std::string_view name) const;
};

// A dict with Python's insertion order; string keys only, which is all chat templates use.
class Object {
 public:
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value value);
  bool erase(std::string_view key);
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

// Defined here, where Array, Object and CallArgs are complete (clang requires it of the
// standard containers they hold).
inline Value::Value(Array a) : v_(std::make_shared<Array>(std::move(a))) {}
inline Value::Value(Object o) : v_(std::make_shared<Object>(std::move(o))) {}
inline Value::Value(Function f) : v_(std::make_shared<Function>(std::move(f))) {}

// Python ordering of numbers, strings and lists: <0, 0, >0. Throws JinjaError otherwise.
int compare(const Value& a, const Value& b);

// Python repr() of a float: shortest round-trip digits, "1.0" rather than "1".
std::string format_float(double d);

}  // namespace tachyon::jinja
