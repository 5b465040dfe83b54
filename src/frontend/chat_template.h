#pragma once
// Chat templates: turns a conversation into the prompt text a model was trained on, by rendering
// the model's Jinja chat template exactly as llama.cpp's Jinja path (llama-server --jinja) does.
#include <ctime>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "frontend/jinja/template.h"
#include "util/result.h"

namespace tachyon {

// One turn of a conversation ("system", "user", "assistant", "tool").
struct ChatMessage {
  std::string role;
  std::string content;
  // An assistant turn's calls: [{"id", "type": "function", "function": {"name", "arguments"}}],
  // arguments as a JSON value (templates print them with tojson); null when there are none.
  nlohmann::ordered_json tool_calls = nullptr;
  std::string tool_call_id;  // a tool turn: the call it answers
  std::string name;          // a tool turn: the function's name, when known
};

// Per-render inputs besides the messages: the model's special tokens and the clock.
struct ChatTemplateOptions {
  std::string bos_token;
  std::string eos_token;
  bool add_generation_prompt = true;
  // The request's tools as OpenAI sends them ([{"type": "function", "function": {...}}]);
  // null: no `tools` variable at all.
  nlohmann::ordered_json tools = nullptr;
  std::function<std::time_t()> now;  // for strftime_now; default: current time, local date
};

// A parsed chat template. Immutable; render() is safe to call from several threads at once.
class ChatTemplate {
 public:
  // Parses the template source; syntax errors come back with line and column.
  static Result<ChatTemplate> parse(const std::string& source);

  // Renders the prompt. Like llama.cpp: a leading bos_token and a trailing eos_token are
  // removed (the tokenizer adds BOS itself), and when the template cannot take a system
  // message (it raises, or drops it) the system text is folded into the next user turn.
  // raise_exception() in the template and runtime errors come back as an Error.
  Result<std::string> render(std::span<const ChatMessage> messages, const ChatTemplateOptions& opts) const;

  // Whether the template renders a system message itself (decided once, at parse time).
  bool supports_system_role() const { return supports_system_role_; }
  // Whether the template renders the `tools` it is given (decided once, at parse time); when it
  // does not, callers describe tools in a message of their own.
  bool supports_tools() const { return supports_tools_; }

 private:
  explicit ChatTemplate(jinja::Template tmpl) : template_(std::move(tmpl)) {}
  Result<std::string> render_raw(std::span<const ChatMessage> messages, const ChatTemplateOptions& opts) const;

  jinja::Template template_;
  bool supports_system_role_ = true;
  bool supports_tools_ = false;
};

// Fallback when a model has no tokenizer.chat_template: built-in formats for known families
// ("chatml", "llama2", "llama3", "zephyr", "mistral", "phi3", "gemma"), picked by name.
Result<ChatTemplate> builtin_chat_template(std::string_view family);

}  // namespace tachyon
