#include "api/chat_request.h"

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
  return request;
}

}  // namespace tachyon
