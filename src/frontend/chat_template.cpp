#include "frontend/chat_template.h"

#include <vector>

namespace tachyon {

namespace {

// A system message carrying this text is rendered once at parse time; if the text does not
// come out, the template does not support the system role.
constexpr std::string_view kSystemProbe = "<system probe 5b1e>";
// Likewise a tool of this name: if it does not come out, the template ignores `tools`.
constexpr std::string_view kToolProbe = "tool_probe_7c2d";

jinja::Value raise_exception(const jinja::CallArgs& args) {
  const jinja::Value* message = args.get(0, "message");
  throw jinja::JinjaError{message != nullptr ? message->str() : "raise_exception called"};
}

jinja::Value strftime_now(const std::function<std::time_t()>& now, const jinja::CallArgs& args) {
  const jinja::Value* format = args.get(0, "format");
  if (format == nullptr || !format->is_string()) throw jinja::JinjaError{"strftime_now expects a format string"};
  std::time_t t = now ? now() : std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[256];
  size_t n = std::strftime(buf, sizeof(buf), format->as_string().c_str(), &local);
  return jinja::Value(std::string(buf, n));
}

// llama.cpp's polyfill for templates without a system role: system text is held back and
// prepended (joined by "\n") to the next user message; if a non-user turn or the end comes
// first, the held text becomes a user message of its own.
std::vector<ChatMessage> fold_system_messages(std::span<const ChatMessage> messages) {
  std::vector<ChatMessage> folded;
  std::string pending;
  auto flush = [&]() {
    if (pending.empty()) return;
    folded.push_back({"user", pending, nullptr, {}, {}});
    pending.clear();
  };
  for (const ChatMessage& message : messages) {
    if (message.role == "system") {
      if (!pending.empty()) pending += "\n";
      pending += message.content;
      continue;
    }
    if (message.role == "user" && !pending.empty()) {
      folded.push_back({"user", message.content.empty() ? pending : pending + "\n" + message.content, nullptr, {}, {}});
      pending.clear();
      continue;
    }
    flush();
    folded.push_back(message);
  }
  flush();
  return folded;
}

}  // namespace

Result<ChatTemplate> ChatTemplate::parse(const std::string& source) {
  Result<jinja::Template> parsed = jinja::Template::parse(source);
  if (!parsed) return parsed.error();
  ChatTemplate chat(std::move(parsed).value());
  ChatMessage system_probe{"system", std::string(kSystemProbe)};
  ChatMessage user_probe{"user", "Hey"};
  const ChatMessage probe[] = {system_probe, user_probe};
  ChatTemplateOptions probe_options;
  probe_options.add_generation_prompt = false;
  Result<std::string> rendered = chat.render_raw(probe, probe_options);
  chat.supports_system_role_ = rendered.ok() && rendered->find(kSystemProbe) != std::string::npos;
  probe_options.tools = nlohmann::ordered_json::array(
      {{{"type", "function"},
        {"function", {{"name", kToolProbe}, {"description", "probe"}, {"parameters", {{"type", "object"}}}}}}});
  rendered = chat.render_raw(std::span(probe).subspan(1), probe_options);
  chat.supports_tools_ = rendered.ok() && rendered->find(kToolProbe) != std::string::npos;
  return chat;
}

Result<std::string> ChatTemplate::render_raw(std::span<const ChatMessage> messages,
                                             const ChatTemplateOptions& opts) const {
  jinja::Array message_values;
  for (const ChatMessage& message : messages) {
    jinja::Object object;
    object.set("role", jinja::Value(message.role));
    object.set("content", jinja::Value(message.content));
    if (!message.tool_calls.is_null()) object.set("tool_calls", jinja::Value::from_json(message.tool_calls));
    if (!message.tool_call_id.empty()) object.set("tool_call_id", jinja::Value(message.tool_call_id));
    if (!message.name.empty()) object.set("name", jinja::Value(message.name));
    message_values.emplace_back(std::move(object));
  }
  jinja::Object globals;
  globals.set("messages", jinja::Value(std::move(message_values)));
  globals.set("add_generation_prompt", jinja::Value(opts.add_generation_prompt));
  if (!opts.tools.is_null()) globals.set("tools", jinja::Value::from_json(opts.tools));
  globals.set("bos_token", jinja::Value(opts.bos_token));
  globals.set("eos_token", jinja::Value(opts.eos_token));
  globals.set("raise_exception", jinja::Value(jinja::Function(raise_exception)));
  globals.set("strftime_now", jinja::Value(jinja::Function(
                                  [now = opts.now](const jinja::CallArgs& args) { return strftime_now(now, args); })));
  return template_.render(globals);
}

Result<std::string> ChatTemplate::render(std::span<const ChatMessage> messages,
                                         const ChatTemplateOptions& opts) const {
  std::vector<ChatMessage> folded;
  if (!supports_system_role_) {
    folded = fold_system_messages(messages);
    messages = folded;
  }
  Result<std::string> rendered = render_raw(messages, opts);
  if (!rendered) return rendered;
  std::string prompt = std::move(rendered).value();
  if (!opts.bos_token.empty() && prompt.starts_with(opts.bos_token)) prompt.erase(0, opts.bos_token.size());
  if (!opts.eos_token.empty() && prompt.ends_with(opts.eos_token)) {
    prompt.erase(prompt.size() - opts.eos_token.size());
  }
  return prompt;
}

}  // namespace tachyon
