#include "api/tool_prompt.h"

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

std::string describe_tools(const ToolRequest& tools) {
  std::string text = "You can call these functions:\n";
  for (const ToolFunction& f : tools.functions) {
    text += fmt::format("- {}", f.name);
    if (!f.description.empty()) text += ": " + f.description;
    text += fmt::format("\n  parameters (JSON Schema): {}\n",
                        f.parameters.is_null() ? std::string("{}") : f.parameters.dump());
  }
  text += "To call a function, reply with only a JSON object: "
          "{\"name\": <function name>, \"arguments\": <arguments object>}.";
  return text;
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
        for (auto& call : message.tool_calls) call["function"]["arguments"] = arguments_value(call["function"]["arguments"]);
      }
      message.tool_call_id = m.tool_call_id;
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
