#include "api/tool_request.h"

#include <fmt/format.h>

#include "api/json_fields.h"

namespace tachyon {
namespace {

constexpr size_t kMaxTools = 128;
constexpr size_t kMaxNameLength = 64;

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

// One entry of `tools`; `fn` is the object holding name/description/parameters/strict.
Result<ToolFunction> parse_function(const nlohmann::ordered_json& fn, const std::string& param) {
  ToolFunction out;
  const nlohmann::ordered_json* name = find_field(fn, "name");
  if (name == nullptr || !name->is_string())
    return invalid_param(param, "Missing required parameter: '{}.name'", param);
  out.name = name->get<std::string>();
  if (!valid_name(out.name))
    return invalid_param(param, "Invalid '{}.name': '{}' must be 1 to 64 letters, digits, '_' or '-'", param, out.name);
  if (const auto* description = find_field(fn, "description")) {
    if (!description->is_string()) return invalid_param(param, "Invalid '{}.description': expected a string", param);
    out.description = description->get<std::string>();
  }
  if (const auto* parameters = find_field(fn, "parameters")) {
    if (!parameters->is_object())
      return invalid_param(param, "Invalid '{}.parameters': expected a JSON Schema object", param);
    out.parameters = *parameters;
  }
  if (const auto* strict = find_field(fn, "strict")) {
    if (!strict->is_boolean()) return invalid_param(param, "Invalid '{}.strict': expected a boolean", param);
    out.strict = strict->get<bool>();
  }
  return out;
}

Status read_choice(const nlohmann::ordered_json& body, ToolRequest& out, bool flat) {
  const nlohmann::ordered_json* choice = find_field(body, "tool_choice");
  if (choice == nullptr) return Status::success();
  if (choice->is_string()) {
    const std::string& c = choice->get_ref<const std::string&>();
    if (c == "none") out.choice = ToolRequest::Choice::None;
    else if (c == "auto") out.choice = ToolRequest::Choice::Auto;
    else if (c == "required") out.choice = ToolRequest::Choice::Required;
    else
      return invalid_param("tool_choice", "Invalid 'tool_choice': expected 'none', 'auto', 'required' or a function, got '{}'", c);
    return Status::success();
  }
  if (!choice->is_object())
    return invalid_param("tool_choice", "Invalid type for 'tool_choice': expected a string or an object");
  const nlohmann::ordered_json* type = find_field(*choice, "type");
  if (type == nullptr || !type->is_string() || type->get<std::string>() != "function")
    return invalid_param("tool_choice", "Invalid 'tool_choice.type': only 'function' is supported");
  const nlohmann::ordered_json* holder = flat ? choice : find_field(*choice, "function");
  const nlohmann::ordered_json* name = holder && holder->is_object() ? find_field(*holder, "name") : nullptr;
  if (name == nullptr || !name->is_string())
    return invalid_param("tool_choice", "Missing required parameter: 'tool_choice{}.name'", flat ? "" : ".function");
  out.choice = ToolRequest::Choice::Named;
  out.named = name->get<std::string>();
  return Status::success();
}

}  // namespace

const ToolFunction* ToolRequest::find(const std::string& name) const {
  for (const ToolFunction& f : functions)
    if (f.name == name) return &f;
  return nullptr;
}

Result<ToolRequest> parse_tool_request(const nlohmann::ordered_json& body, bool flat) {
  ToolRequest out;
  const nlohmann::ordered_json* tools = find_field(body, "tools");
  if (tools != nullptr) {
    if (!tools->is_array()) return invalid_param("tools", "Invalid type for 'tools': expected an array");
    if (tools->size() > kMaxTools) return invalid_param("tools", "Too many tools: {} (at most {})", tools->size(), kMaxTools);
    for (size_t i = 0; i < tools->size(); ++i) {
      const std::string param = fmt::format("tools[{}]", i);
      const nlohmann::ordered_json& tool = (*tools)[i];
      if (!tool.is_object()) return invalid_param(param, "Invalid type for '{}': expected an object", param);
      const nlohmann::ordered_json* type = find_field(tool, "type");
      if (type == nullptr || !type->is_string() || type->get<std::string>() != "function")
        return invalid_param(param, "Invalid '{}.type': only tools of type 'function' are supported", param);
      const nlohmann::ordered_json* fn = flat ? &tool : find_field(tool, "function");
      if (fn == nullptr || !fn->is_object())
        return invalid_param(param, "Missing required parameter: '{}.function'", param);
      Result<ToolFunction> parsed = parse_function(*fn, flat ? param : param + ".function");
      if (!parsed) return parsed.error();
      if (out.find(parsed->name))
        return invalid_param(param, "Duplicate function name '{}' in 'tools'", parsed->name);
      out.functions.push_back(std::move(parsed.value()));
    }
    if (!out.functions.empty()) {
      out.choice = ToolRequest::Choice::Auto;
      // The chat templates expect OpenAI's nested shape, whatever shape the request used.
      out.tools_json = nlohmann::ordered_json::array();
      for (const ToolFunction& f : out.functions) {
        nlohmann::ordered_json fn = {{"name", f.name}};
        if (!f.description.empty()) fn["description"] = f.description;
        fn["parameters"] = f.parameters.is_null() ? nlohmann::ordered_json{{"type", "object"}, {"properties", nlohmann::ordered_json::object()}}
                                                  : f.parameters;
        out.tools_json.push_back({{"type", "function"}, {"function", std::move(fn)}});
      }
    }
  }
  if (Status s = read_choice(body, out, flat); !s) return s.error();
  if (out.forced() && out.functions.empty())
    return invalid_param("tool_choice", "'tool_choice' requires a non-empty 'tools' array");
  if (out.choice == ToolRequest::Choice::Named && !out.find(out.named))
    return invalid_param("tool_choice", "'tool_choice' names the function '{}', which is not in 'tools'", out.named);
  if (const auto* parallel = find_field(body, "parallel_tool_calls")) {
    if (!parallel->is_boolean())
      return invalid_param("parallel_tool_calls", "Invalid type for 'parallel_tool_calls': expected a boolean");
    out.parallel_tool_calls = parallel->get<bool>();
  }
  return out;
}

}  // namespace tachyon
