#pragma once
// The one place where an Error becomes what an OpenAI client sees: an HTTP status and the body
// {"error":{"message","type","param","code"}}. Pure functions, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tachyon {

// An error as it goes on the wire. `param` and `code` are JSON null when absent.
struct ApiError {
  int status = 500;
  std::string type;                 // OpenAI's error type, e.g. "invalid_request_error"
  std::optional<std::string> code;  // machine-readable detail, e.g. "model_not_found"
  std::string message;
  std::optional<std::string> param;  // the request field at fault
};

// Maps an ErrorKind to its status, type and code (and, for Internal, a message that gives
// nothing of the server away): InvalidArgument 400, Unauthenticated 401
// (code "invalid_api_key"), PermissionDenied 403 (code "model_not_allowed" when the param is
// "model", else "permission_denied"), NotFound 404 (code "model_not_found" when the param is
// "model"), ResourceExhausted 429, Conflict 409, Unavailable 503 (code "model_loading" when the
// param is "model", else "service_unavailable"), Internal 500.
ApiError to_api_error(const Error& error);

// The HTTP status for an Error (to_api_error(error).status).
int http_status(const Error& error);

// The JSON body for an ApiError; invalid UTF-8 in the message is replaced, never thrown on.
std::string error_body(const ApiError& error);

// The JSON body for an Error (error_body(to_api_error(error))); an Internal error's own
// message goes to stderr instead.
std::string error_body(const Error& error);

// 404 for a model name the server does not serve.
Error model_not_found(std::string_view model);
// 503 (with Retry-After) for a model the admin API is loading.
Error model_loading(std::string_view model);

// 400 for a generation request (chat, completions, responses, async) naming an embedding model.
Error embedding_model_error(std::string_view model);

// 413: the request body is larger than the server accepts.
ApiError payload_too_large(int64_t n_bytes, int64_t max_bytes);

// 422: the request is well-formed but cannot be processed as asked (e.g. a field's value names
// something the loaded model lacks).
ApiError unprocessable(std::string message, std::optional<std::string> param = std::nullopt);

// 400 with code "context_length_exceeded", as OpenAI answers a prompt plus max_tokens that does
// not fit the context window; `param` is the prompt's field ("messages" or "prompt").
ApiError context_length_exceeded(std::string param, int64_t n_prompt_tokens, int64_t n_max_tokens,
                                 int64_t n_ctx);

}  // namespace tachyon
