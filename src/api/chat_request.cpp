#include "api/chat_request.h"

#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "api/json_fields.h"

namespace tachyon {
namespace {

// The role as the chat template expects it; nullopt for roles this server does not take.
std::optional<std::string> normalize_role(std::string_view role) {
  if (role == "system" || role == "user" || role == "assistant" || role == "tool") {
    return std::string(role);
  }
  // OpenAI's newer name for the system role on reasoning models; templates only know "system".
  if (role == "developer") return "system";
  return std::nullopt;
}

// Content given as an array of parts: only text parts are accepted, and they are joined as is.
Result<std::string> flatten_content_parts(const nlohmann::json& parts, const std::string& param) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    const nlohmann::json& part = parts[i];
    if (!part.is_object()) return type_error(param, "an array of content part objects", part);
    const nlohmann::json* type = find_field(part, "type");
    if (type == nullptr || !type->is_string()) {
      return invalid_param(param, "Invalid '{}[{}]': a content part needs a string 'type'", param,
                           i);
    }
    if (type->get_ref<const std::string&>() != "text") {
      return invalid_param(param,
                           "Invalid '{}[{}]': content parts of type '{}' are not supported; "
                           "only 'text' is",
                           param, i, type->get_ref<const std::string&>());
    }
    const nlohmann::json* part_text = find_field(part, "text");
    if (part_text == nullptr || !part_text->is_string()) {
      return invalid_param(param, "Invalid '{}[{}]': a text part needs a string 'text'", param, i);
    }
    text += part_text->get_ref<const std::string&>();
  }
  return text;
}

// An assistant message's tool_calls: [{"id", "type": "function", "function": {"name",
// "arguments"}}], arguments a string (OpenAI's SDKs send JSON text).
Result<nlohmann::ordered_json> parse_tool_calls(const nlohmann::json& calls, const std::string& param) {
  if (!calls.is_array()) return type_error(param, "an array", calls);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string p = fmt::format("{}[{}]", param, i);
    const nlohmann::json& call = calls[i];
    if (!call.is_object()) return type_error(p, "an object", call);
    const nlohmann::json* fn = find_field(call, "function");
    if (fn == nullptr || !fn->is_object()) return invalid_param(p, "Missing required parameter: '{}.function'", p);
    const nlohmann::json* name = find_field(*fn, "name");
    if (name == nullptr || !name->is_string()) return invalid_param(p, "Missing required parameter: '{}.function.name'", p);
    std::string arguments = "{}";
    if (const nlohmann::json* args = find_field(*fn, "arguments")) {
      if (args->is_string()) arguments = args->get<std::string>();
      else if (args->is_object()) arguments = args->dump();
      else return type_error(p + ".function.arguments", "a string", *args);
    }
    std::string id;
    if (const nlohmann::json* given = find_field(call, "id")) {
      if (!given->is_string()) return type_error(p + ".id", "a string", *given);
      id = given->get<std::string>();
    }
    out.push_back({{"id", id},
                   {"type", "function"},
                   {"function", {{"name", name->get<std::string>()}, {"arguments", arguments}}}});
  }
  return out;
}

Result<ChatRequestMessage> parse_message(const nlohmann::json& message, size_t index) {
  std::string prefix = fmt::format("messages[{}]", index);
  if (!message.is_object()) return type_error(prefix, "an object", message);

  std::string role_param = prefix + ".role";
  const nlohmann::json* role = find_field(message, "role");
  if (role == nullptr) return invalid_param(role_param, "Missing required parameter: '{}'", role_param);
  if (!role->is_string()) return type_error(role_param, "a string", *role);
  std::optional<std::string> normalized = normalize_role(role->get_ref<const std::string&>());
  if (!normalized) {
    return invalid_param(role_param,
                         "Invalid '{}': '{}' is not one of 'system', 'developer', 'user', "
                         "'assistant', 'tool'",
                         role_param, role->get_ref<const std::string&>());
  }

  ChatRequestMessage out;
  out.role = std::move(*normalized);
  if (const nlohmann::json* calls = find_field(message, "tool_calls"); calls && out.role == "assistant") {
    Result<nlohmann::ordered_json> parsed = parse_tool_calls(*calls, prefix + ".tool_calls");
    if (!parsed) return parsed.error();
    if (!parsed->empty()) out.tool_calls = std::move(parsed.value());
  }
  if (out.role == "tool") {
    const std::string id_param = prefix + ".tool_call_id";
    const nlohmann::json* id = find_field(message, "tool_call_id");
    if (id == nullptr) return invalid_param(id_param, "Missing required parameter: '{}'", id_param);
    if (!id->is_string()) return type_error(id_param, "a string", *id);
    out.tool_call_id = id->get<std::string>();
    if (Status s = read_string(message, "name", out.name); !s) return s.error();
  }
  std::string content_param = prefix + ".content";
  const nlohmann::json* content = find_field(message, "content");
  if (content == nullptr) {
    // An assistant turn that only made tool calls carries no content.
    if (out.role == "assistant") return out;
    return invalid_param(content_param, "Missing required parameter: '{}'", content_param);
  }
  if (content->is_string()) {
    out.content = content->get<std::string>();
  } else if (content->is_array()) {
    Result<std::string> text = flatten_content_parts(*content, content_param);
    if (!text) return text.error();
    out.content = std::move(text.value());
  } else {
    return type_error(content_param, "a string or an array of content parts", *content);
  }
  return out;
}

// OpenAI's chat spelling of logprobs: a boolean plus the number of alternatives per token.
Status read_chat_logprobs(const nlohmann::json& body, SamplingParams& sampling) {
  if (Status s = read_bool(body, "logprobs", sampling.logprobs); !s) return s;
  std::optional<int64_t> top_logprobs;
  if (Status s = read_integer(body, "top_logprobs", 0, kMaxTopLogprobs, top_logprobs); !s) {
    return s;
  }
  if (!top_logprobs) return Status::success();
  if (*top_logprobs > 0 && !sampling.logprobs) {
    return invalid_param("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  sampling.n_top_logprobs = static_cast<int32_t>(*top_logprobs);
  return Status::success();
}

}  // namespace

Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view body) {
  Result<nlohmann::json> json = parse_json_object(body);
  if (!json) return json.error();

  Result<GenerationParams> params = parse_generation_params(*json);
  if (!params) return params.error();
  ChatCompletionRequest request;
  request.params = std::move(params.value());
  if (Status s = read_chat_logprobs(*json, request.params.sampling); !s) return s.error();
  if (Status s = validate(request.params.sampling); !s) return s.error();
  {
    // Schemas keep their key order: read from the body parsed once more as ordered JSON.
    Result<nlohmann::ordered_json> ordered = parse_ordered_json_object(body);
    if (!ordered) return ordered.error();
    if (Status s = read_output_format(*ordered, request.params); !s) return s.error();
    Result<ToolRequest> tools = parse_tool_request(*ordered);
    if (!tools) return tools.error();
    request.tools = std::move(tools.value());
  }
  if (request.tools.forced() && request.params.output_format)
    return invalid_param("response_format", "'response_format' cannot be combined with a required 'tool_choice'");

  const nlohmann::json* messages = find_field(*json, "messages");
  if (messages == nullptr) return invalid_param("messages", "Missing required parameter: 'messages'");
  if (!messages->is_array()) return type_error("messages", "an array", *messages);
  if (messages->empty()) {
    return invalid_param("messages", "Invalid 'messages': expected a non-empty array");
  }
  request.messages.reserve(messages->size());
  for (size_t i = 0; i < messages->size(); ++i) {
    Result<ChatRequestMessage> message = parse_message((*messages)[i], i);
    if (!message) return message.error();
    request.messages.push_back(std::move(message.value()));
  }
  // A tool turn's function name, when the client left it out, from the call it answers (the
  // last call with its id). One pass over the calls and one look-up per tool turn: a body of
  // many turns and calls must not cost their product.
  std::unordered_map<std::string, std::string> call_names;
  for (const ChatRequestMessage& m : request.messages)
    for (const auto& call : m.tool_calls)  // normalized by parse_tool_calls: id and function.name are strings
      call_names[call["id"].get<std::string>()] = call["function"]["name"].get<std::string>();
  for (ChatRequestMessage& m : request.messages) {
    if (m.role != "tool" || !m.name.empty()) continue;
    if (auto it = call_names.find(m.tool_call_id); it != call_names.end()) m.name = it->second;
  }
  return request;
}

}  // namespace tachyon
