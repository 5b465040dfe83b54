#include "api/api_error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

std::optional<std::string> optional_param(const Error& error) {
  if (error.param.empty()) return std::nullopt;
  return error.param;
}

}  // namespace

ApiError to_api_error(const Error& error) {
  ApiError api;
  api.message = error.message;
  api.param = optional_param(error);
  switch (error.kind) {
    case ErrorKind::InvalidArgument:
      api.status = 400;
      api.type = "invalid_request_error";
      break;
    case ErrorKind::Unauthenticated:
      api.status = 401;
      api.type = "invalid_request_error";
      api.code = "invalid_api_key";
      break;
    case ErrorKind::PermissionDenied:
      api.status = 403;
      api.type = "permission_error";
      api.code = error.param == "model" ? "model_not_allowed" : "permission_denied";
      break;
    case ErrorKind::NotFound:
      api.status = 404;
      api.type = "not_found_error";
      if (error.param == "model") api.code = "model_not_found";
      break;
    case ErrorKind::ResourceExhausted:
      api.status = 429;
      api.type = "rate_limit_error";
      api.code = "rate_limit_exceeded";
      break;
    case ErrorKind::Conflict:
      api.status = 409;
      api.type = "invalid_request_error";
      api.code = "conflict";
      break;
    case ErrorKind::Unavailable:
      api.status = 503;
      api.type = "server_error";
      api.code = error.param == "model" ? "model_loading" : "service_unavailable";
      break;
    case ErrorKind::Internal:
      // What went wrong inside (a database's host, a file's path) is the operator's business:
      // error_body() logs it, and the client gets OpenAI's wording.
      api.status = 500;
      api.type = "server_error";
      api.message = "The server had an error while processing your request";
      break;
  }
  return api;
}

int http_status(const Error& error) { return to_api_error(error).status; }

std::string error_body(const ApiError& error) {
  auto optional_string = [](const std::optional<std::string>& s) {
    return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json body = {{"error",
                          {
                              {"message", error.message},
                              {"type", error.type},
                              {"param", optional_string(error.param)},
                              {"code", optional_string(error.code)},
                          }}};
  // The message may echo client input, which need not be valid UTF-8.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string error_body(const Error& error) {
  if (error.kind == ErrorKind::Internal) fmt::print(stderr, "internal error: {}\n", error.message);
  return error_body(to_api_error(error));
}

Error model_not_found(std::string_view model) {
  return Error{fmt::format("The model '{}' does not exist", model), ErrorKind::NotFound, "model"};
}

Error model_loading(std::string_view model) {
  return Error{fmt::format("The model '{}' is being loaded; retry shortly", model), ErrorKind::Unavailable, "model"};
}

Error embedding_model_error(std::string_view model) {
  return Error{fmt::format("The model '{}' is an embedding model: it serves only POST /v1/embeddings and cannot "
                           "generate text",
                           model),
               ErrorKind::InvalidArgument, "model"};
}

ApiError payload_too_large(int64_t n_bytes, int64_t max_bytes) {
  return ApiError{
      .status = 413,
      .type = "invalid_request_error",
      .code = "request_too_large",
      .message = fmt::format("Request body of {} bytes exceeds the limit of {} bytes", n_bytes,
                             max_bytes),
      .param = std::nullopt,
  };
}

ApiError unprocessable(std::string message, std::optional<std::string> param) {
  return ApiError{
      .status = 422,
      .type = "invalid_request_error",
      .code = "unprocessable_entity",
      .message = std::move(message),
      .param = std::move(param),
  };
}

ApiError context_length_exceeded(std::string param, int64_t n_prompt_tokens, int64_t n_max_tokens,
                                 int64_t n_ctx) {
  return ApiError{
      .status = 400,
      .type = "invalid_request_error",
      .code = "context_length_exceeded",
      .message = fmt::format(
          "The prompt ({} tokens) plus max_tokens ({}) needs {} tokens, more than the model's "
          "context length of {} tokens",
          n_prompt_tokens, n_max_tokens, n_prompt_tokens + n_max_tokens, n_ctx),
      .param = std::move(param),
  };
}

}  // namespace tachyon
