#include "api/chat_prompt.h"

#include "api/tool_prompt.h"

namespace tachyon {
namespace {

// `value` with every string in it, keys included, shielded (Tokenizer::shield_special).
nlohmann::ordered_json shield_json(const Tokenizer& tokenizer, const nlohmann::ordered_json& value) {
  if (value.is_string()) return tokenizer.shield_special(value.get_ref<const std::string&>());
  if (value.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& item : value) out.push_back(shield_json(tokenizer, item));
    return out;
  }
  if (!value.is_object()) return value;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, item] : value.items()) out[tokenizer.shield_special(name)] = shield_json(tokenizer, item);
  return out;
}

}  // namespace

Result<std::string> render_chat_prompt(const ModelBundle& bundle, const std::vector<ChatRequestMessage>& messages,
                                       const ToolRequest& tools) {
  const Tokenizer& tokenizer = *bundle.tokenizer;
  const bool template_tools = bundle.chat_template->supports_tools();
  std::vector<ChatMessage> rendered = template_messages(messages, tools, template_tools);
  for (ChatMessage& m : rendered) {
    m.content = tokenizer.shield_special(m.content);
    m.name = tokenizer.shield_special(m.name);
    m.tool_call_id = tokenizer.shield_special(m.tool_call_id);
    if (!m.tool_calls.is_null()) m.tool_calls = shield_json(tokenizer, m.tool_calls);
  }
  const nlohmann::ordered_json tools_json =
      template_tools && tools.active() ? shield_json(tokenizer, tools.tools_json) : nlohmann::ordered_json();
  return bundle.render_chat(rendered, tools_json);
}

std::vector<int32_t> chat_prompt_tokens(const ModelBundle& bundle, std::string_view prompt) {
  return bundle.tokenizer->encode_chat(prompt, true);
}

}  // namespace tachyon
