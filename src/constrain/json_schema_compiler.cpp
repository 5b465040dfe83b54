// The JSON Schema compiler behind json_schema.h: one rule per schema node, one rule per $ref
// target (compiled from a worklist, so recursive schemas cost one rule each), and the shared
// JSON pieces from JsonParts.
#include <cmath>
#include <map>
#include <string>
#include <unordered_set>

#include "constrain/json_parts.h"
#include "constrain/json_schema.h"
#include "constrain/regex_compiler.h"

namespace tachyon {

namespace {

using Symbol = GrammarBuilder::Symbol;
using Sequence = GrammarBuilder::Sequence;

// Counts above this for minLength/minItems are errors; for maxLength/maxItems, unbounded.
constexpr int64_t kMaxCount = 4096;

const std::unordered_set<std::string_view>& supported_keywords() {
  static const std::unordered_set<std::string_view> keywords = {
      "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
      "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "pattern", "minLength", "maxLength",
      "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "$defs",
      "definitions"};
  return keywords;
}

const std::unordered_set<std::string_view>& ignored_keywords() {
  static const std::unordered_set<std::string_view> keywords = {
      "description", "title", "default", "examples", "$schema", "$id", "$comment", "deprecated",
      "readOnly", "writeOnly"};
  return keywords;
}

// Regexes of the supported string formats (without the quotes; JSON-escaping is not needed).
const std::map<std::string_view, std::string_view>& format_patterns() {
  static const std::map<std::string_view, std::string_view> formats = {
      {"date", R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))"},
      {"time", R"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))"},
      {"date-time",
       R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))"},
      {"uuid", R"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"},
      {"email", R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)"},
      {"ipv4", R"(((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))"},
  };
  return formats;
}

std::string pointer_escape(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// One pass, no recursion: the nesting depth and roughly the compact size of a JSON value.
template <class Json>
Status check_limits(const Json& schema, const SchemaOptions& opts) {
  // A schema level is at most two JSON levels (properties -> name -> schema), plus slack.
  const int json_depth_limit = 2 * opts.max_depth + 2;
  size_t bytes = 0;
  std::vector<std::pair<const Json*, int>> stack{{&schema, 1}};
  while (!stack.empty()) {
    const auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > json_depth_limit) {
      return make_error("the schema nests deeper than the limit of {} levels", opts.max_depth);
    }
    if (value->is_object()) {
      bytes += 2;
      for (auto it = value->begin(); it != value->end(); ++it) {
        bytes += it.key().size() + 4;
        stack.push_back({&it.value(), depth + 1});
      }
    } else if (value->is_array()) {
      bytes += 2;
      for (const auto& item : *value) {
        bytes += 1;
        stack.push_back({&item, depth + 1});
      }
    } else if (value->is_string()) {
      bytes += value->template get_ref<const std::string&>().size() + 2;
    } else {
      bytes += 8;
    }
    if (bytes > opts.max_schema_bytes) {
      return make_error("the schema is larger than the limit of {} bytes", opts.max_schema_bytes);
    }
  }
  return Status::success();
}

template <class Json>
class SchemaCompiler {
 public:
  SchemaCompiler(const Json& root, const SchemaOptions& opts) : root_(root), opts_(opts), parts_(b_) {}

  Result<std::shared_ptr<const Grammar>> run() {
    auto symbol = compile(root_, "#", 1);
    if (!symbol) return symbol.error();
    for (size_t i = 0; i < pending_refs_.size(); ++i) {
      const PendingRef ref = pending_refs_[i];
      auto target = compile(*ref.target, ref.path, 1);
      if (!target) return target.error();
      b_.add_alternative(ref.rule, {*target});
      if (b_.too_large()) break;
    }
    auto grammar = b_.finish(b_.rule_of({*symbol}));
    if (!grammar) return make_error("schema: {}", grammar.error().message);
    return grammar;
  }

 private:
  struct PendingRef {
    const Json* target;
    std::string path;
    uint32_t rule;
  };

  template <typename... Args>
  static Error fail(const std::string& path, fmt::format_string<Args...> f, Args&&... args) {
    return make_error("{} at {}", fmt::format(f, std::forward<Args>(args)...), path);
  }

  Result<Symbol> compile(const Json& schema, const std::string& path, int depth) {
    if (depth > opts_.max_depth) return fail(path, "the schema nests deeper than {} levels", opts_.max_depth);
    if (b_.too_large()) return fail(path, "the schema's grammar is too large");
    if (schema.is_boolean()) {
      if (schema.template get<bool>()) return parts_.any_value();
      return fail(path, "the schema false allows no value");
    }
    if (!schema.is_object()) return fail(path, "a schema must be an object or a boolean");
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      const std::string& key = it.key();
      if (supported_keywords().count(key) || ignored_keywords().count(key)) continue;
      if (opts_.strict) return fail(path, "unsupported keyword '{}'", key);
    }

    if (auto ref = schema.find("$ref"); ref != schema.end()) return compile_ref(*ref, path);

    for (const char* combinator : {"anyOf", "oneOf"}) {
      auto branches = schema.find(combinator);
      if (branches == schema.end()) continue;
      if (!branches->is_array() || branches->empty()) {
        return fail(path, "{} must be a non-empty array", combinator);
      }
      const uint32_t rule = b_.new_rule();
      for (size_t i = 0; i < branches->size(); ++i) {
        auto branch = compile((*branches)[i], fmt::format("{}/{}/{}", path, combinator, i), depth + 1);
        if (!branch) return branch.error();
        b_.add_alternative(rule, {*branch});
      }
      return GrammarBuilder::ref(rule);
    }
    if (auto all = schema.find("allOf"); all != schema.end()) {
      if (all->is_array() && all->size() == 1) return compile((*all)[0], path + "/allOf/0", depth + 1);
      if (opts_.strict) return fail(path, "allOf with more than one schema is not supported");
    }

    if (auto value = schema.find("const"); value != schema.end()) return literal_of(*value, path);
    if (auto values = schema.find("enum"); values != schema.end()) {
      if (!values->is_array() || values->empty()) return fail(path, "enum must be a non-empty array");
      const uint32_t rule = b_.new_rule();
      for (const auto& value : *values) {
        auto symbol = literal_of(value, path);
        if (!symbol) return symbol.error();
        b_.add_alternative(rule, {*symbol});
      }
      return GrammarBuilder::ref(rule);
    }

    std::vector<std::string> types;
    if (auto type = schema.find("type"); type != schema.end()) {
      if (type->is_string()) {
        types.push_back(type->template get<std::string>());
      } else if (type->is_array() && !type->empty()) {
        for (const auto& t : *type) {
          if (!t.is_string()) return fail(path, "type must be a string or an array of strings");
          types.push_back(t.template get<std::string>());
        }
      } else {
        return fail(path, "type must be a string or an array of strings");
      }
    } else {
      types.push_back(infer_type(schema));
    }
    if (types.size() == 1) return compile_typed(schema, types[0], path, depth);
    const uint32_t rule = b_.new_rule();
    for (const std::string& type : types) {
      auto symbol = compile_typed(schema, type, path, depth);
      if (!symbol) return symbol.error();
      b_.add_alternative(rule, {*symbol});
    }
    return GrammarBuilder::ref(rule);
  }

  static std::string infer_type(const Json& schema) {
    for (const char* k : {"properties", "additionalProperties", "required"}) {
      if (schema.contains(k)) return "object";
    }
    for (const char* k : {"items", "minItems", "maxItems"}) {
      if (schema.contains(k)) return "array";
    }
    for (const char* k : {"pattern", "minLength", "maxLength", "format"}) {
      if (schema.contains(k)) return "string";
    }
    for (const char* k : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
      if (schema.contains(k)) return "number";
    }
    return "any";
  }

  Result<Symbol> literal_of(const Json& value, const std::string& path) {
    try {
      return parts_.literal(value.dump());
    } catch (const std::exception&) {
      return fail(path, "a const or enum value is not valid UTF-8");
    }
  }

  Result<Symbol> compile_typed(const Json& schema, const std::string& type, const std::string& path,
                               int depth) {
    if (type == "string") return compile_string(schema, path);
    if (type == "integer") return compile_integer(schema, path);
    if (type == "number") {
      bool non_negative = false;
      for (const char* k : {"minimum", "exclusiveMinimum"}) {
        auto bound = schema.find(k);
        if (bound != schema.end() && bound->is_number() && bound->template get<double>() >= 0) non_negative = true;
      }
      return parts_.number(non_negative);
    }
    if (type == "boolean") return parts_.boolean();
    if (type == "null") return parts_.null();
    if (type == "object") return compile_object(schema, path, depth);
    if (type == "array") return compile_array(schema, path, depth);
    if (type == "any") return parts_.any_value();
    return fail(path, "unknown type '{}'", type);
  }

  Result<int64_t> count_of(const Json& schema, const char* key, int64_t fallback, const std::string& path) {
    auto it = schema.find(key);
    if (it == schema.end()) return fallback;
    if (!it->is_number_integer() || it->template get<int64_t>() < 0) {
      return fail(path, "{} must be a non-negative integer", key);
    }
    return it->template get<int64_t>();
  }

  // min/max counts; max < 0 is unbounded.
  Result<std::pair<int64_t, int64_t>> counts(const Json& schema, const char* min_key, const char* max_key,
                                             const std::string& path) {
    auto min = count_of(schema, min_key, 0, path);
    if (!min) return min.error();
    auto max = count_of(schema, max_key, -1, path);
    if (!max) return max.error();
    if (*min > kMaxCount) return fail(path, "{} above {} is not supported", min_key, kMaxCount);
    if (*max > kMaxCount) *max = -1;
    if (*max >= 0 && *min > *max) return fail(path, "{} is larger than {}", min_key, max_key);
    return std::pair{*min, *max};
  }

  Result<Symbol> compile_string(const Json& schema, const std::string& path) {
    const Symbol quote = b_.byte('"');
    if (auto pattern = schema.find("pattern"); pattern != schema.end()) {
      if (!pattern->is_string()) return fail(path, "pattern must be a string");
      RegexTarget target;
      target.json_string = true;
      target.search = true;
      target.any_char = parts_.string_char();
      auto body = emit_regex(b_, pattern->template get_ref<const std::string&>(), target);
      if (!body) return fail(path + "/pattern", "{}", body.error().message);
      return GrammarBuilder::ref(b_.rule_of({quote, *body, quote}));
    }
    if (auto format = schema.find("format"); format != schema.end() && format->is_string()) {
      const std::string& name = format->template get_ref<const std::string&>();
      auto known = format_patterns().find(name);
      if (known != format_patterns().end()) {
        RegexTarget target;
        target.json_string = true;
        auto body = emit_regex(b_, known->second, target);
        if (!body) return body.error();
        return GrammarBuilder::ref(b_.rule_of({quote, *body, quote}));
      }
      if (opts_.strict) return fail(path, "format '{}' is not supported", name);
    }
    auto lengths = counts(schema, "minLength", "maxLength", path);
    if (!lengths) return lengths.error();
    return parts_.string(lengths->first, lengths->second);
  }

  Result<Symbol> compile_integer(const Json& schema, const std::string& path) {
    constexpr double kLimit = 1e17;
    int64_t lo = -JsonParts::kMaxInteger, hi = JsonParts::kMaxInteger;
    auto bound = [&](const char* key) -> std::optional<double> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      return std::clamp(it->template get<double>(), -kLimit, kLimit);
    };
    // Draft 4 spells exclusivity as a boolean next to minimum/maximum.
    auto flag = [&](const char* key) {
      auto it = schema.find(key);
      return it != schema.end() && it->is_boolean() && it->template get<bool>();
    };
    if (auto min = bound("minimum")) {
      lo = std::max(lo, flag("exclusiveMinimum") ? static_cast<int64_t>(std::floor(*min)) + 1
                                                 : static_cast<int64_t>(std::ceil(*min)));
    }
    if (auto min = bound("exclusiveMinimum")) lo = std::max(lo, static_cast<int64_t>(std::floor(*min)) + 1);
    if (auto max = bound("maximum")) {
      hi = std::min(hi, flag("exclusiveMaximum") ? static_cast<int64_t>(std::ceil(*max)) - 1
                                                 : static_cast<int64_t>(std::floor(*max)));
    }
    if (auto max = bound("exclusiveMaximum")) hi = std::min(hi, static_cast<int64_t>(std::ceil(*max)) - 1);
    auto symbol = parts_.integer(lo, hi);
    if (!symbol) return fail(path, "{}", symbol.error().message);
    return symbol;
  }

  Result<Symbol> compile_object(const Json& schema, const std::string& path, int depth) {
    struct Property {
      std::string key_json;  // "name" as a JSON string
      Symbol value;
      bool required;
    };
    std::vector<Property> properties;
    std::vector<std::string> names;
    std::unordered_set<std::string> required;
    if (auto list = schema.find("required"); list != schema.end()) {
      if (!list->is_array()) return fail(path, "required must be an array of strings");
      for (const auto& name : *list) {
        if (!name.is_string()) return fail(path, "required must be an array of strings");
        required.insert(name.template get<std::string>());
      }
    }
    if (auto props = schema.find("properties"); props != schema.end()) {
      if (!props->is_object()) return fail(path, "properties must be an object");
      for (auto it = props->begin(); it != props->end(); ++it) {
        const std::string& name = it.key();
        auto value = compile(it.value(), path + "/properties/" + pointer_escape(name), depth + 1);
        if (!value) return value.error();
        properties.push_back({Json(name).dump(), *value, required.count(name) > 0});
        names.push_back(name);
      }
    }
    if (auto list = schema.find("required"); list != schema.end()) {
      for (const auto& name : *list) {
        const std::string& text = name.template get_ref<const std::string&>();
        if (std::find(names.begin(), names.end(), text) != names.end()) continue;
        properties.push_back({Json(text).dump(), parts_.any_value(), true});
        names.push_back(text);
      }
    }

    std::optional<Symbol> extra_value;
    auto additional = schema.find("additionalProperties");
    if (additional == schema.end()) {
      if (!opts_.strict) extra_value = parts_.any_value();
    } else if (additional->is_boolean()) {
      if (additional->template get<bool>()) {
        if (opts_.strict) return fail(path, "strict schemas need additionalProperties: false");
        extra_value = parts_.any_value();
      }
    } else if (additional->is_object()) {
      auto value = compile(*additional, path + "/additionalProperties", depth + 1);
      if (!value) return value.error();
      extra_value = *value;
    } else {
      return fail(path, "additionalProperties must be a boolean or a schema");
    }

    // first[i]: properties i.. when none has been written yet; rest[i]: after one has (each
    // then starts with ','). Optional properties may be skipped, required ones may not.
    const Symbol comma = b_.byte(','), colon = b_.byte(':');
    const size_t n = properties.size();
    std::vector<uint32_t> first(n + 1), rest(n + 1);
    first[n] = b_.new_rule();
    rest[n] = b_.new_rule();
    if (extra_value) {
      const uint32_t member = b_.rule_of({parts_.key_not_in(names), colon, parts_.ws(), *extra_value});
      const uint32_t more = b_.repeat(GrammarBuilder::ref(b_.rule_of({comma, parts_.ws(), GrammarBuilder::ref(member)})), 0, -1);
      b_.add_alternative(first[n], {GrammarBuilder::ref(member), GrammarBuilder::ref(more)});
      b_.add_alternative(rest[n], {GrammarBuilder::ref(more)});
    }
    b_.add_alternative(first[n], {});
    if (!extra_value) b_.add_alternative(rest[n], {});
    for (size_t i = n; i-- > 0;) {
      const Property& p = properties[i];
      Sequence member;
      b_.append_literal(member, p.key_json);
      member.push_back(colon);
      member.push_back(parts_.ws());
      member.push_back(p.value);
      Sequence after_comma{comma, parts_.ws()};
      after_comma.insert(after_comma.end(), member.begin(), member.end());
      after_comma.push_back(GrammarBuilder::ref(rest[i + 1]));
      member.push_back(GrammarBuilder::ref(rest[i + 1]));
      first[i] = b_.new_rule();
      rest[i] = b_.new_rule();
      b_.add_alternative(first[i], std::move(member));
      b_.add_alternative(rest[i], std::move(after_comma));
      if (!p.required) {
        b_.add_alternative(first[i], {GrammarBuilder::ref(first[i + 1])});
        b_.add_alternative(rest[i], {GrammarBuilder::ref(rest[i + 1])});
      }
    }
    return GrammarBuilder::ref(b_.rule_of({b_.byte('{'), GrammarBuilder::ref(first[0]), b_.byte('}')}));
  }

  Result<Symbol> compile_array(const Json& schema, const std::string& path, int depth) {
    auto sizes = counts(schema, "minItems", "maxItems", path);
    if (!sizes) return sizes.error();
    auto [min, max] = *sizes;
    Symbol item = parts_.any_value();
    if (auto items = schema.find("items"); items != schema.end()) {
      if (items->is_boolean() && !items->template get<bool>()) {
        if (min > 0) return fail(path, "items: false with minItems > 0 allows no value");
        max = 0;
      } else if (items->is_object() || items->is_boolean()) {
        auto compiled = compile(*items, path + "/items", depth + 1);
        if (!compiled) return compiled.error();
        item = *compiled;
      } else if (opts_.strict) {
        return fail(path, "items as an array (tuple validation) is not supported");
      }
    }
    return parts_.array_of(item, min, max);
  }

  Result<Symbol> compile_ref(const Json& ref, const std::string& path) {
    if (!ref.is_string()) return fail(path, "$ref must be a string");
    const std::string& pointer = ref.template get_ref<const std::string&>();
    if (auto known = ref_rules_.find(pointer); known != ref_rules_.end()) return GrammarBuilder::ref(known->second);
    if (pointer.empty() || pointer[0] != '#') {
      return fail(path, "only local $ref (\"#/...\") is supported, not '{}'", pointer);
    }
    const Json* target = &root_;
    if (pointer.size() > 1) {
      if (pointer[1] != '/') return fail(path, "unresolvable $ref '{}'", pointer);
      size_t start = 2;
      while (true) {
        const size_t end = std::min(pointer.find('/', start), pointer.size());
        std::string token;
        for (size_t i = start; i < end; ++i) {
          if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
            token += pointer[i + 1] == '0' ? '~' : '/';
            ++i;
          } else {
            token += pointer[i];
          }
        }
        if (target->is_object() && target->contains(token)) {
          target = &(*target)[token];
        } else if (target->is_array() && !token.empty() &&
                   token.find_first_not_of("0123456789") == std::string::npos && token.size() < 9 &&
                   std::stoul(token) < target->size()) {
          target = &(*target)[std::stoul(token)];
        } else {
          return fail(path, "unresolvable $ref '{}'", pointer);
        }
        if (end == pointer.size()) break;
        start = end + 1;
      }
    }
    const uint32_t rule = b_.new_rule();
    ref_rules_.emplace(pointer, rule);
    pending_refs_.push_back({target, pointer, rule});
    return GrammarBuilder::ref(rule);
  }

  const Json& root_;
  const SchemaOptions& opts_;
  GrammarBuilder b_;
  JsonParts parts_;
  std::map<std::string, uint32_t> ref_rules_;
  std::vector<PendingRef> pending_refs_;
};

template <class Json>
Result<std::shared_ptr<const Grammar>> compile_schema(const Json& schema, const SchemaOptions& opts) {
  if (Status limits = check_limits(schema, opts); !limits) return limits.error();
  return SchemaCompiler<Json>(schema, opts).run();
}

}  // namespace

Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::json& schema,
                                                           const SchemaOptions& opts) {
  return compile_schema(schema, opts);
}

Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::ordered_json& schema,
                                                           const SchemaOptions& opts) {
  return compile_schema(schema, opts);
}

Result<std::shared_ptr<const Grammar>> compile_json_schema_text(std::string_view schema_json,
                                                                const SchemaOptions& opts) {
  if (schema_json.size() > opts.max_schema_bytes) {
    return make_error("the schema is larger than the limit of {} bytes", opts.max_schema_bytes);
  }
  const auto schema = nlohmann::ordered_json::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return make_error("the schema is not valid JSON");
  return compile_schema(schema, opts);
}

std::shared_ptr<const Grammar> json_object_grammar() {
  static const std::shared_ptr<const Grammar> grammar = [] {
    GrammarBuilder builder;
    JsonParts parts(builder);
    const uint32_t root = builder.rule_of({parts.any_object()});
    return std::move(builder.finish(root)).value();
  }();
  return grammar;
}

}  // namespace tachyon
