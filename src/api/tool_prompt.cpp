#include "api/tool_prompt.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include <fmt/format.h>

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

// arguments text -> a JSON object when it is one (templates print it with tojson), else as is.
ojson arguments_value(const ojson& arguments) {
  if (!arguments.is_string()) return arguments;
  ojson parsed = ojson::parse(arguments.get<std::string>(), nullptr, false);
  return parsed.is_discarded() ? arguments : parsed;
}

// A compact type for the fallback prompt: `string`, `"a"|"b"`, `integer[]`, `{city: string}`.
// Small models have small contexts; a schema's JSON would not fit.
std::string type_text(const ojson& schema, int depth) {
  if (!schema.is_object() || depth > 3) return "any";
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    std::string out;
    for (const auto& v : *e) out += (out.empty() ? "" : "|") + v.dump();
    return out;
  }
  if (auto c = schema.find("const"); c != schema.end()) return c->dump();
  for (const char* key : {"anyOf", "oneOf"}) {
    if (auto alts = schema.find(key); alts != schema.end() && alts->is_array()) {
      std::string out;
      for (const auto& alt : *alts) out += (out.empty() ? "" : "|") + type_text(alt, depth + 1);
      return out;
    }
  }
  const ojson type = schema.value("type", ojson());
  if (type.is_array()) {
    std::string out;
    for (const auto& t : type) out += (out.empty() ? "" : "|") + t.get<std::string>();
    return out;
  }
  const std::string name = type.is_string() ? type.get<std::string>() : "";
  if (name == "array") return type_text(schema.value("items", ojson()), depth + 1) + "[]";
  if (name == "object" || schema.contains("properties")) {
    std::string out;
    // A set, not a scan per property: sizes come from the request.
    std::unordered_set<std::string> required;
    if (auto it = schema.find("required"); it != schema.end() && it->is_array())
      for (const auto& r : *it)
        if (r.is_string()) required.insert(r.get<std::string>());
    const ojson properties = schema.value("properties", ojson::object());
    for (const auto& [key, value] : properties.items()) {
      const bool optional = !required.contains(key);
      out += fmt::format("{}{}{}: {}", out.empty() ? "" : ", ", key, optional ? "?" : "", type_text(value, depth + 1));
    }
    return "{" + out + "}";
  }
  return name.empty() ? "any" : name;
}

std::string describe_tools(const ToolRequest& tools) {
  std::string text = "Functions you can call:\n";
  for (const ToolFunction& f : tools.functions) {
    text += fmt::format("- {}({})", f.name, f.parameters.is_null() ? "" : type_text(f.parameters, 0));
    if (!f.description.empty()) text += ": " + f.description;
    text += "\n";
  }
  text += "To call one, answer with only {\"name\": ..., \"arguments\": {...}}.";
  return text;
}

// A call id as the model sees it. Mistral's templates refuse ids that are not 9 alphanumerics,
// while clients send OpenAI's "call_..." ids; such an id becomes 9 alphanumerics derived from it
// (the same for a call and the tool result that answers it). The client's ids are unchanged.
std::string template_call_id(const std::string& id) {
  const bool fits = id.size() == 9 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c));
  });
  if (fits) return id;
  static constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  std::string out;
  for (int i = 0; i < 9; ++i, h /= kAlphabet.size()) out += kAlphabet[h % kAlphabet.size()];
  return out;
}

}  // namespace

std::vector<ChatMessage> template_messages(const std::vector<ChatRequestMessage>& messages, const ToolRequest& tools,
                                           bool template_supports_tools) {
  std::vector<ChatMessage> out;
  const bool describe = tools.active() && !template_supports_tools;
  if (describe && (messages.empty() || messages.front().role != "system")) {
    out.push_back({"system", describe_tools(tools)});
  }
  for (const ChatRequestMessage& m : messages) {
    ChatMessage message{m.role, m.content};
    if (template_supports_tools) {
      if (m.tool_calls.is_array()) {
        message.tool_calls = m.tool_calls;
        for (auto& call : message.tool_calls) {
          call["function"]["arguments"] = arguments_value(call["function"]["arguments"]);
          call["id"] = template_call_id(call.value("id", ""));
        }
      }
      if (!m.tool_call_id.empty()) message.tool_call_id = template_call_id(m.tool_call_id);
      message.name = m.name;
    } else if (m.tool_calls.is_array()) {
      for (const auto& call : m.tool_calls) {
        if (!message.content.empty()) message.content += "\n";
        const ojson written = {{"name", call["function"]["name"]}, {"arguments", arguments_value(call["function"]["arguments"])}};
        message.content += written.dump();
      }
    } else if (m.role == "tool") {
      message.role = "user";
      message.content = fmt::format("Result of {} (call {}): {}", m.name.empty() ? "the function" : m.name,
                                    m.tool_call_id, m.content);
    }
    if (describe && out.empty() && m.role == "system") message.content += "\n\n" + describe_tools(tools);
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace tachyon
