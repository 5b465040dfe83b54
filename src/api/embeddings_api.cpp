#include "api/embeddings_api.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "api/generation_params.h"
#include "api/json_fields.h"
#include "model/encoder.h"

namespace tachyon {
namespace {

using nlohmann::json;

Result<int32_t> token_id(const json& item) {
  std::optional<int64_t> id = item.is_number() ? as_integer(item) : std::nullopt;
  if (!id || *id < 0 || *id > std::numeric_limits<int32_t>::max())
    return invalid_param("input", "Invalid 'input': token ids must be non-negative integers, got {}", item.dump());
  return int32_t(*id);
}

// An array of token ids, none of them invalid; `what` names it in errors.
Result<std::vector<int32_t>> token_list(const json& array, const std::string& what) {
  if (array.empty()) return invalid_param("input", "Invalid 'input': {} is an empty list of tokens", what);
  std::vector<int32_t> ids;
  ids.reserve(array.size());
  for (const json& item : array) {
    auto id = token_id(item);
    if (!id) return id.error();
    ids.push_back(*id);
  }
  return ids;
}

constexpr std::string_view kInputTypes = "a string, an array of strings, an array of token ids or an array of arrays of token ids";

Status read_input(const json& body, EmbeddingsRequest& request) {
  const json* input = find_field(body, "input");
  if (input == nullptr) return invalid_param("input", "Missing required parameter: 'input'");
  if (input->is_string()) {
    if (input->get_ref<const std::string&>().empty())
      return invalid_param("input", "Invalid 'input': the string is empty");
    request.input = std::vector<std::string>{input->get<std::string>()};
    return Status::success();
  }
  if (!input->is_array()) return type_error("input", kInputTypes, *input);
  if (input->empty()) return invalid_param("input", "Invalid 'input': the array is empty");
  if (input->size() > kMaxEmbeddingInputs)
    return invalid_param("input", "Invalid 'input': {} inputs, more than the {} one request may carry", input->size(),
                         kMaxEmbeddingInputs);
  const json& first = input->front();
  if (first.is_string()) {
    std::vector<std::string> texts;
    for (size_t i = 0; i < input->size(); ++i) {
      const json& item = (*input)[i];
      if (!item.is_string())
        return invalid_param("input", "Invalid 'input[{}]': expected a string like the other inputs, got {}", i,
                             json_type_name(item));
      if (item.get_ref<const std::string&>().empty())
        return invalid_param("input", "Invalid 'input[{}]': the string is empty", i);
      texts.push_back(item.get<std::string>());
    }
    request.input = std::move(texts);
  } else if (first.is_number()) {
    auto ids = token_list(*input, "the input");
    if (!ids) return ids.error();
    request.input = std::vector<std::vector<int32_t>>{std::move(*ids)};
  } else if (first.is_array()) {
    std::vector<std::vector<int32_t>> lists;
    for (size_t i = 0; i < input->size(); ++i) {
      const json& item = (*input)[i];
      if (!item.is_array())
        return invalid_param("input", "Invalid 'input[{}]': expected an array of token ids like the other inputs, got {}",
                             i, json_type_name(item));
      auto ids = token_list(item, fmt::format("input[{}]", i));
      if (!ids) return ids.error();
      lists.push_back(std::move(*ids));
    }
    request.input = std::move(lists);
  } else {
    return invalid_param("input", "Invalid type for 'input[0]': expected a string, a token id or an array of token ids, "
                         "got {}", json_type_name(first));
  }
  return Status::success();
}

// One float as JSON: the shortest text that reads back as the same float.
void append_float(std::string& out, float x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", x);
}

}  // namespace

Result<EmbeddingsRequest> parse_embeddings_request(std::string_view body) {
  Result<json> parsed = parse_json_object(body);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  EmbeddingsRequest request;
  const json* model = find_field(j, "model");
  if (model == nullptr) return invalid_param("model", "You must provide a model parameter");
  if (!model->is_string()) return type_error("model", "a string", *model);
  request.model = model->get<std::string>();
  if (request.model.empty()) return invalid_param("model", "Invalid 'model': must not be empty");
  if (Status s = read_input(j, request); !s) return s.error();

  std::string encoding = "float";
  if (Status s = read_string(j, "encoding_format", encoding); !s) return s.error();
  if (encoding == "base64") request.encoding = EmbeddingEncoding::Base64;
  else if (encoding != "float")
    return invalid_param("encoding_format", "Invalid 'encoding_format': '{}' (supported: 'float', 'base64')", encoding);

  if (const json* dimensions = find_field(j, "dimensions"); dimensions && !dimensions->is_null()) {
    if (!dimensions->is_number_integer() || dimensions->get<int64_t>() < 1)
      return invalid_param("dimensions", "Invalid 'dimensions': expected a positive integer, got {}", dimensions->dump());
    request.dimensions = dimensions->get<int64_t>();
  }
  std::string user;
  if (Status s = read_bool(j, "truncate", request.truncate); !s) return s.error();
  if (Status s = read_string(j, "user", user); !s) return s.error();
  if (find_field(j, "user")) request.user = std::move(user);
  return request;
}

Status check_dimensions(int64_t dimensions, int64_t n_embd, bool matryoshka, std::string_view model) {
  if (dimensions > n_embd)
    return invalid_param("dimensions", "Invalid 'dimensions': {} is more than the {} dimensions of model '{}'",
                         dimensions, n_embd, model);
  if (dimensions < n_embd && !matryoshka)
    return invalid_param("dimensions", "Model '{}' does not support 'dimensions' other than {}: its vectors cannot be "
                         "shortened (a server whose model was trained for it, Matryoshka-style, declares it with "
                         "--matryoshka {})", model, n_embd, model);
  return Status::success();
}

void shorten_vectors(std::vector<std::vector<float>>& vectors, int64_t dimensions) {
  for (std::vector<float>& v : vectors) {
    if (int64_t(v.size()) <= dimensions) continue;
    v.resize(size_t(dimensions));
    l2_normalize(v);
  }
}

std::string base64_floats(const std::vector<float>& v) {
  std::string bytes(v.size() * sizeof(float), '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits = std::bit_cast<uint32_t>(v[i]);
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap32(bits);
    std::memcpy(&bytes[i * sizeof(float)], &bits, sizeof(bits));
  }
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a trailing NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  out.resize(size_t(n));
  return out;
}

std::string embeddings_response_json(const std::vector<std::vector<float>>& vectors, EmbeddingEncoding encoding,
                                     std::string_view model, int64_t prompt_tokens,
                                     const std::optional<UsageCost>& cost) {
  // Written by hand: nlohmann would print each float widened to double (17 digits).
  std::string out = R"({"object":"list","data":[)";
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), R"({{"object":"embedding","index":{},"embedding":)", i);
    if (encoding == EmbeddingEncoding::Base64) {
      out += '"' + base64_floats(vectors[i]) + '"';
    } else {
      out += '[';
      for (size_t k = 0; k < vectors[i].size(); ++k) {
        if (k) out += ',';
        append_float(out, vectors[i][k]);
      }
      out += ']';
    }
    out += '}';
  }
  nlohmann::ordered_json usage = {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}};
  if (cost)
    usage["cost"] = {{"input_tokens_cost", cost->input_tokens_cost},
                     {"output_tokens_cost", cost->output_tokens_cost},
                     {"request_cost", cost->request_cost},
                     {"total_cost", cost->total_cost}};
  out += R"(],"model":)";
  out += json(model).dump(-1, ' ', false, json::error_handler_t::replace);
  out += R"(,"usage":)";
  out += usage.dump();
  out += '}';
  return out;
}

}  // namespace tachyon
