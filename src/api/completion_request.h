#pragma once
// POST /v1/completions (OpenAI's legacy text completion): the request body parsed and checked
// into a plain value.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/generation_params.h"
#include "util/result.h"

namespace tachyon {

// Largest legacy `logprobs` value (alternatives per token), as OpenAI.
inline constexpr int32_t kMaxCompletionLogprobs = 5;

// The prompt as text to tokenize, or as token ids to use as they are (never empty).
using CompletionPrompt = std::variant<std::string, std::vector<int32_t>>;

struct CompletionRequest {
  GenerationParams params;  // logprobs = N sets sampling.logprobs and n_top_logprobs = N
  CompletionPrompt prompt;
  bool echo = false;  // the returned text starts with the prompt
};

// Parses a completion request body. `prompt` is a string, an array of one string, an array of
// token ids, or an array of one such array; several prompts in one request are a 400. Pure, callable from any thread.
Result<CompletionRequest> parse_completion_request(std::string_view body);

}  // namespace tachyon
