#pragma once
// POST /v1/embeddings in OpenAI's shape: the request's parsing and validation, and the response
// body. Pure functions, callable from any thread; the handler is embeddings_endpoint.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/responses.h"
#include "util/result.h"

namespace tachyon {

// The most inputs one request may carry (OpenAI's limit).
inline constexpr size_t kMaxEmbeddingInputs = 2048;

enum class EmbeddingEncoding { Float, Base64 };

struct EmbeddingsRequest {
  std::string model;
  // Texts (a string or an array of strings), or token ids (an array of ids, or an array of
  // arrays of ids); never empty, and no text or id list in it is empty.
  std::variant<std::vector<std::string>, std::vector<std::vector<int32_t>>> input;
  EmbeddingEncoding encoding = EmbeddingEncoding::Float;
  std::optional<std::string> user;  // accepted, not used
  // An input longer than the model's context is cut to fit (its last token, [SEP] for BERT, kept)
  // instead of refused with 400 (llama.cpp's and TEI's `truncate`).
  bool truncate = false;
  // The vectors' size: their first `dimensions` values, scaled back to length 1. Only for models
  // trained for it (Matryoshka, `--matryoshka`); the endpoint checks that against the model.
  std::optional<int64_t> dimensions;
};

// Parses and checks a request body. 400s, each with its param: not a JSON object; model
// missing, not a string or empty; input missing, of another type, empty, with an empty string
// or token list, mixing strings and ids, with ids that are not non-negative integers, or with
// more than kMaxEmbeddingInputs entries; encoding_format other than "float" or "base64";
// dimensions not a positive integer (null is absent); user not a string;
// truncate not a boolean.
Result<EmbeddingsRequest> parse_embeddings_request(std::string_view body);

// The little-endian float32 bytes of v, in standard base64 (what encoding_format "base64"
// returns and the OpenAI clients decode).
std::string base64_floats(const std::vector<float>& v);

// The first `dimensions` values of each of a model's vectors, at Euclidean length 1 again: how a
// Matryoshka-trained embedding is shortened. Errors (400, param dimensions): more dimensions than
// the model has (n_embd); fewer, on a model not declared as trained for it.
Status check_dimensions(int64_t dimensions, int64_t n_embd, bool matryoshka, std::string_view model);
void shorten_vectors(std::vector<std::vector<float>>& vectors, int64_t dimensions);

// {"object":"list","data":[{"object":"embedding","index":i,"embedding":[...] or "..."}],
//  "model":..., "usage":{"prompt_tokens":N,"total_tokens":N[,"cost":{...}]}}.
std::string embeddings_response_json(const std::vector<std::vector<float>>& vectors, EmbeddingEncoding encoding,
                                     std::string_view model, int64_t prompt_tokens,
                                     const std::optional<UsageCost>& cost);

}  // namespace tachyon
