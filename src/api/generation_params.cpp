#include "api/generation_params.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "api/json_fields.h"

namespace tachyon {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// Range check with an open or closed lower bound; written so that NaN and infinities fail.
Status check_range(std::string_view key, double value, double lo, double hi, bool lo_open) {
  bool above_lo = lo_open ? value > lo : value >= lo;
  if (above_lo && value <= hi && std::isfinite(value)) return Status::success();
  return invalid_param(std::string(key), "Invalid '{}': expected a value in {}{}, {}], got {}", key,
                       lo_open ? "(" : "[", lo, hi, value);
}

// Reads an optional float field and checks its range; `out` keeps its default when absent.
Status read_float_in_range(const nlohmann::json& body, std::string_view key, double lo, double hi,
                           bool lo_open, float& out) {
  std::optional<double> value;
  if (Status s = read_number(body, key, value); !s) return s;
  if (!value) return Status::success();
  if (Status s = check_range(key, *value, lo, hi, lo_open); !s) return s;
  out = static_cast<float>(*value);
  return Status::success();
}

// Unbounded above, unlike the OpenAI knobs, but it divides logits: it must be positive and fit a
// float.
Status read_repetition_penalty(const nlohmann::json& body, float& out) {
  std::optional<double> value;
  if (Status s = read_number(body, "repetition_penalty", value); !s) return s;
  if (!value) return Status::success();
  if (!(*value > 0.0 && *value <= std::numeric_limits<float>::max())) {
    return invalid_param("repetition_penalty",
                         "Invalid 'repetition_penalty': expected a number > 0, got {}", *value);
  }
  out = static_cast<float>(*value);
  return Status::success();
}

Status read_max_tokens(const nlohmann::json& body, std::optional<int32_t>& out) {
  // max_completion_tokens is OpenAI's newer name for max_tokens and wins when both are given.
  for (std::string_view key : {"max_tokens", "max_completion_tokens"}) {
    std::optional<int64_t> value;
    if (Status s = read_integer(body, key, 1, kInt32Max, value); !s) return s;
    if (value) out = static_cast<int32_t>(*value);
  }
  return Status::success();
}

Status read_stop(const nlohmann::json& body, std::vector<std::string>& out) {
  const nlohmann::json* value = find_field(body, "stop");
  if (value == nullptr) return Status::success();
  // Every generated token is matched against the stop strings: they are short.
  auto add = [&out](const std::string& stop) -> Status {
    if (stop.empty()) return invalid_param("stop", "Invalid 'stop': stop strings must not be empty");
    if (stop.size() > size_t(kMaxStopBytes))
      return invalid_param("stop", "Invalid 'stop': a stop string may be at most {} bytes, got {}", kMaxStopBytes, stop.size());
    out.push_back(stop);
    return Status::success();
  };
  if (value->is_string()) return add(value->get_ref<const std::string&>());
  if (!value->is_array()) return type_error("stop", "a string or an array of strings", *value);
  if (value->size() > static_cast<size_t>(kMaxStopSequences)) {
    return invalid_param("stop", "Invalid 'stop': at most {} stop sequences are allowed, got {}",
                         kMaxStopSequences, value->size());
  }
  for (const nlohmann::json& item : *value) {
    if (!item.is_string()) return type_error("stop", "an array of strings", *value);
    if (Status s = add(item.get_ref<const std::string&>()); !s) return s;
  }
  return Status::success();
}

// A logit_bias key is a token id written as a decimal string, as OpenAI's tokenizer ids are.
std::optional<int32_t> parse_token_id(std::string_view key) {
  int32_t id = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size() || key.empty() || id < 0) {
    return std::nullopt;
  }
  return id;
}

Status read_logit_bias(const nlohmann::json& body, std::vector<std::pair<int32_t, float>>& out) {
  const nlohmann::json* value = find_field(body, "logit_bias");
  if (value == nullptr) return Status::success();
  if (!value->is_object()) return type_error("logit_bias", "an object", *value);
  for (const auto& [key, bias] : value->items()) {
    std::optional<int32_t> token = parse_token_id(key);
    if (!token) {
      return invalid_param("logit_bias",
                           "Invalid 'logit_bias': key '{}' is not a token id (a non-negative "
                           "integer written as a string)",
                           key);
    }
    if (!bias.is_number()) {
      return invalid_param("logit_bias", "Invalid 'logit_bias': the value for token {} must be a "
                           "number, got {}", key, json_type_name(bias));
    }
    double b = bias.get<double>();
    if (!(b >= -100.0 && b <= 100.0)) {
      return invalid_param("logit_bias",
                           "Invalid 'logit_bias': the value for token {} must be in [-100, 100], "
                           "got {}",
                           key, b);
    }
    out.emplace_back(*token, static_cast<float>(b));
  }
  return Status::success();
}

Status read_stream(const nlohmann::json& body, GenerationParams& out) {
  if (Status s = read_bool(body, "stream", out.stream); !s) return s;
  const nlohmann::json* options = find_field(body, "stream_options");
  if (options == nullptr) return Status::success();
  if (!options->is_object()) return type_error("stream_options", "an object", *options);
  if (!out.stream) {
    return invalid_param("stream_options",
                         "The 'stream_options' parameter is only allowed when 'stream' is true");
  }
  const nlohmann::json* include_usage = find_field(*options, "include_usage");
  if (include_usage == nullptr) return Status::success();
  if (!include_usage->is_boolean()) {
    return type_error("stream_options.include_usage", "a boolean", *include_usage);
  }
  out.include_usage = include_usage->get<bool>();
  return Status::success();
}

}  // namespace

Status read_model(const nlohmann::json& body, std::string& out) {
  const nlohmann::json* value = find_field(body, "model");
  if (value == nullptr) return invalid_param("model", "You must provide a model parameter");
  if (!value->is_string()) return type_error("model", "a string", *value);
  // Bounded: a refused request's usage row keeps the name it asked for.
  constexpr size_t kMaxModelName = 256;
  if (value->get_ref<const std::string&>().size() > kMaxModelName)
    return invalid_param("model", "Invalid 'model': longer than {} bytes", kMaxModelName);
  out = value->get<std::string>();
  if (out.empty()) return invalid_param("model", "Invalid 'model': must not be empty");
  return Status::success();
}

Result<GenerationParams> parse_generation_params(const nlohmann::json& body) {
  GenerationParams params;
  SamplingParams& sampling = params.sampling;
  if (Status s = read_model(body, params.model); !s) return s.error();
  if (Status s = read_max_tokens(body, params.max_tokens); !s) return s.error();

  if (Status s = read_float_in_range(body, "temperature", 0.0, 2.0, false, sampling.temperature);
      !s) {
    return s.error();
  }
  if (Status s = read_float_in_range(body, "top_p", 0.0, 1.0, true, sampling.top_p); !s) {
    return s.error();
  }
  if (Status s = read_float_in_range(body, "min_p", 0.0, 1.0, false, sampling.min_p); !s) {
    return s.error();
  }
  if (Status s = read_float_in_range(body, "presence_penalty", -2.0, 2.0, false,
                                     sampling.presence_penalty);
      !s) {
    return s.error();
  }
  if (Status s = read_float_in_range(body, "frequency_penalty", -2.0, 2.0, false,
                                     sampling.frequency_penalty);
      !s) {
    return s.error();
  }
  if (Status s = read_repetition_penalty(body, sampling.repetition_penalty); !s) return s.error();

  std::optional<int64_t> top_k;
  if (Status s = read_integer(body, "top_k", -1, kInt32Max, top_k); !s) return s.error();
  // vLLM spells "off" as -1, llama.cpp as 0; SamplingParams uses 0.
  if (top_k) sampling.top_k = *top_k < 0 ? 0 : static_cast<int32_t>(*top_k);

  std::optional<int64_t> seed;
  if (Status s = read_integer(body, "seed", std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max(), seed);
      !s) {
    return s.error();
  }
  // Negative seeds are valid in OpenAI's API; they map one-to-one onto the unsigned range.
  if (seed) sampling.seed = static_cast<uint64_t>(*seed);

  std::optional<int64_t> n;
  if (Status s = read_integer(body, "n", 1, kMaxChoices, n); !s) return s.error();
  if (n) params.n = static_cast<int32_t>(*n);

  if (Status s = read_stop(body, params.stop); !s) return s.error();
  if (Status s = read_logit_bias(body, sampling.logit_bias); !s) return s.error();
  if (Status s = read_stream(body, params); !s) return s.error();
  if (Status s = read_string(body, "user", params.user); !s) return s.error();
  if (Status s = read_bool(body, "ignore_eos", params.ignore_eos); !s) return s.error();
  if (const auto it = body.find("speculative"); it != body.end() && !it->is_null()) {
    bool speculative = false;
    if (Status s = read_bool(body, "speculative", speculative); !s) return s.error();
    params.speculative = speculative;
  }
  return params;
}

Status read_output_format(const nlohmann::ordered_json& body, GenerationParams& params) {
  auto it = body.find("response_format");
  if (it == body.end() || it->is_null()) return Status::success();
  Result<std::optional<OutputFormat>> format = parse_output_format(*it, "response_format", false);
  if (!format) return format.error();
  params.output_format = std::move(format.value());
  return Status::success();
}

}  // namespace tachyon
