#include "api/tokenize_api.h"

#include <limits>

#include "api/json_fields.h"

namespace tachyon {

Result<TokenizeRequest> parse_tokenize_request(std::string_view body) {
  Result<nlohmann::json> json = parse_json_object(body);
  if (!json) return json.error();
  const nlohmann::json* content = find_field(*json, "content");
  if (content == nullptr) return invalid_param("content", "Missing required parameter: 'content'");
  if (!content->is_string()) return type_error("content", "a string", *content);
  TokenizeRequest request{.content = content->get<std::string>()};
  if (Status s = read_bool(*json, "add_special", request.add_special); !s) return s.error();
  return request;
}

Result<DetokenizeRequest> parse_detokenize_request(std::string_view body) {
  Result<nlohmann::json> json = parse_json_object(body);
  if (!json) return json.error();
  const nlohmann::json* tokens = find_field(*json, "tokens");
  if (tokens == nullptr) return invalid_param("tokens", "Missing required parameter: 'tokens'");
  if (!tokens->is_array()) return type_error("tokens", "an array of token ids", *tokens);
  DetokenizeRequest request;
  request.tokens.reserve(tokens->size());
  for (const nlohmann::json& item : *tokens) {
    std::optional<int64_t> id = item.is_number() ? as_integer(item) : std::nullopt;
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max()) {
      return invalid_param("tokens", "Invalid 'tokens': token ids must be non-negative integers, "
                           "got {}", item.dump());
    }
    request.tokens.push_back(static_cast<int32_t>(*id));
  }
  return request;
}

std::string tokenize_response_json(std::span<const int32_t> tokens) {
  nlohmann::ordered_json body = {{"tokens", tokens}};
  return body.dump();
}

std::string detokenize_response_json(std::string_view content) {
  nlohmann::ordered_json body = {{"content", content}};
  // Detokenizing an arbitrary id list can end inside a UTF-8 sequence.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tachyon
