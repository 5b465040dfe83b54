#pragma once
// The request fields /v1/chat/completions and /v1/completions share (model, sampling knobs, stop,
// n, streaming), parsed and range-checked into a plain value.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/output_format.h"
#include "sampling/sampling_params.h"
#include "util/result.h"

namespace tachyon {

// What a generation request asks for, besides its prompt. The logprobs fields of `sampling` are
// filled by the endpoint's parser, since the two endpoints spell them differently.
struct GenerationParams {
  std::string model;
  SamplingParams sampling;
  std::optional<int32_t> max_tokens;  // none: until EOS or the context is full
  std::vector<std::string> stop;      // at most kMaxStopSequences, none empty
  int32_t n = 1;                      // choices to generate for the one prompt
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: end the stream with a usage chunk
  bool ignore_eos = false;
  // Speculative decoding (prompt lookup) for this request; none: the server's default. It
  // changes speed only, never the tokens.
  std::optional<bool> speculative;
  std::string user;
  // response_format: output constrained to JSON, a JSON Schema or a regex; nullopt: free text.
  // Read by read_output_format(), from the body as sent (a schema's key order matters).
  std::optional<OutputFormat> output_format;
};

inline constexpr int32_t kMaxStopSequences = 4;
inline constexpr int32_t kMaxStopBytes = 1024;
inline constexpr int32_t kMaxChoices = 16;

// Parses and checks the shared fields of a request body object. Unknown fields are ignored;
// a wrong JSON type or an out-of-range value is a 400 naming the field. Pure.
Result<GenerationParams> parse_generation_params(const nlohmann::json& body);

// Reads the required `model` (a non-empty string of at most 256 bytes).
Status read_model(const nlohmann::json& body, std::string& out);

// Reads `response_format` (see parse_output_format) into params.output_format, from the request
// parsed with its key order kept (a schema's property order is the output's).
Status read_output_format(const nlohmann::ordered_json& body, GenerationParams& params);

}  // namespace tachyon
