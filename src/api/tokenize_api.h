#pragma once
// POST /tokenize and /detokenize, with llama.cpp server's bodies: {"content", "add_special"} ->
// {"tokens":[...]} and {"tokens":[...]} -> {"content"}. Pure, callable from any thread.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tachyon {

struct TokenizeRequest {
  std::string content;
  bool add_special = false;  // add BOS/EOS as the model's tokenizer settings say
};

struct DetokenizeRequest {
  std::vector<int32_t> tokens;
};

// Parses {"content": string, "add_special": bool}; content is required.
Result<TokenizeRequest> parse_tokenize_request(std::string_view body);

// Parses {"tokens": [non-negative integers]}; tokens is required.
Result<DetokenizeRequest> parse_detokenize_request(std::string_view body);

// {"tokens":[...]}.
std::string tokenize_response_json(std::span<const int32_t> tokens);

// {"content":"..."}; invalid UTF-8 is replaced.
std::string detokenize_response_json(std::string_view content);

}  // namespace tachyon
