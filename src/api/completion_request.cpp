#include "api/completion_request.h"

#include <limits>

#include "api/json_fields.h"

namespace tachyon {
namespace {

Result<std::vector<int32_t>> parse_token_ids(const nlohmann::json& array) {
  std::vector<int32_t> tokens;
  tokens.reserve(array.size());
  for (const nlohmann::json& item : array) {
    std::optional<int64_t> id = item.is_number() ? as_integer(item) : std::nullopt;
    if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max()) {
      return invalid_param("prompt", "Invalid 'prompt': token ids must be non-negative integers, "
                           "got {}", item.dump());
    }
    tokens.push_back(static_cast<int32_t>(*id));
  }
  return tokens;
}

Result<CompletionPrompt> parse_prompt(const nlohmann::json& body) {
  const nlohmann::json* prompt = find_field(body, "prompt");
  if (prompt == nullptr) return invalid_param("prompt", "Missing required parameter: 'prompt'");
  if (prompt->is_string()) return CompletionPrompt(prompt->get<std::string>());
  constexpr std::string_view kExpected = "a string, an array of one string, or an array of token ids";
  if (!prompt->is_array()) return type_error("prompt", kExpected, *prompt);
  if (prompt->empty()) {
    return invalid_param("prompt", "Invalid 'prompt': expected a non-empty array");
  }
  const nlohmann::json& first = prompt->front();
  if (first.is_string()) {
    if (prompt->size() != 1) {
      return invalid_param("prompt", "Invalid 'prompt': only one prompt per request is "
                           "supported, got {}", prompt->size());
    }
    return CompletionPrompt(first.get<std::string>());
  }
  if (first.is_number()) {
    Result<std::vector<int32_t>> tokens = parse_token_ids(*prompt);
    if (!tokens) return tokens.error();
    return CompletionPrompt(std::move(tokens.value()));
  }
  if (first.is_array()) {
    if (prompt->size() != 1) {
      return invalid_param("prompt", "Invalid 'prompt': only one prompt per request is "
                           "supported, got {}", prompt->size());
    }
    if (first.empty()) {
      return invalid_param("prompt", "Invalid 'prompt': expected a non-empty array of token ids");
    }
    Result<std::vector<int32_t>> tokens = parse_token_ids(first);
    if (!tokens) return tokens.error();
    return CompletionPrompt(std::move(tokens.value()));
  }
  return type_error("prompt", kExpected, *prompt);
}

// The legacy spelling of logprobs: an integer count of alternatives per token, where 0 still
// reports the chosen token's logprob.
Status read_completion_logprobs(const nlohmann::json& body, SamplingParams& sampling) {
  std::optional<int64_t> logprobs;
  if (Status s = read_integer(body, "logprobs", 0, kMaxCompletionLogprobs, logprobs); !s) return s;
  if (!logprobs) return Status::success();
  sampling.logprobs = true;
  sampling.n_top_logprobs = static_cast<int32_t>(*logprobs);
  return Status::success();
}

}  // namespace

Result<CompletionRequest> parse_completion_request(std::string_view body) {
  Result<nlohmann::json> json = parse_json_object(body);
  if (!json) return json.error();

  Result<GenerationParams> params = parse_generation_params(*json);
  if (!params) return params.error();
  CompletionRequest request;
  request.params = std::move(params.value());
  if (Status s = read_completion_logprobs(*json, request.params.sampling); !s) return s.error();
  if (Status s = validate(request.params.sampling); !s) return s.error();
  Result<nlohmann::ordered_json> ordered = parse_ordered_json_object(body);
  if (!ordered) return ordered.error();
  if (Status s = read_output_format(*ordered, request.params); !s) return s.error();

  auto prompt = parse_prompt(*json);
  if (!prompt) return prompt.error();
  request.prompt = std::move(prompt.value());
  if (Status s = read_bool(*json, "echo", request.echo); !s) return s.error();
  return request;
}

}  // namespace tachyon
