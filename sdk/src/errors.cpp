#include "tachyon/client/errors.h"

#include <strings.h>

#include "errors_internal.h"

namespace tachyon::client {

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
  }
  return std::nullopt;
}

APIError::APIError(const std::string& message, int status, std::string body, Headers headers)
    : std::runtime_error(message), status_(status), body_(std::move(body)), headers_(std::move(headers)) {}

nlohmann::json APIError::json_body() const {
  auto parsed = nlohmann::json::parse(body_, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

std::exception_ptr make_status_error(int status, std::string body, Headers headers) {
  // "Error code: 429 - rate limit exceeded", with the API's error.message when the body has one.
  std::string detail = body;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error")) {
    const auto& error = parsed["error"];
    if (error.is_object() && error.contains("message") && error["message"].is_string()) {
      detail = error["message"].get<std::string>();
    } else if (error.is_string()) {
      detail = error.get<std::string>();
    }
  }
  std::string message = "Error code: " + std::to_string(status) + " - " + detail;
  auto make = [&]<class E>() { return std::make_exception_ptr(E(message, status, std::move(body), std::move(headers))); };
  switch (status) {
    case 400: return make.operator()<BadRequestError>();
    case 401: return make.operator()<AuthenticationError>();
    case 403: return make.operator()<PermissionDeniedError>();
    case 404: return make.operator()<NotFoundError>();
    case 409: return make.operator()<ConflictError>();
    case 422: return make.operator()<UnprocessableEntityError>();
    case 429: return make.operator()<RateLimitError>();
    default:
      if (status >= 500) return make.operator()<InternalServerError>();
      return make.operator()<APIStatusError>();
  }
}

namespace detail {

std::string error_type_name(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const APITimeoutError&) {
    return "APITimeoutError";
  } catch (const APIConnectionError&) {
    return "APIConnectionError";
  } catch (const BadRequestError&) {
    return "BadRequestError";
  } catch (const AuthenticationError&) {
    return "AuthenticationError";
  } catch (const PermissionDeniedError&) {
    return "PermissionDeniedError";
  } catch (const NotFoundError&) {
    return "NotFoundError";
  } catch (const ConflictError&) {
    return "ConflictError";
  } catch (const UnprocessableEntityError&) {
    return "UnprocessableEntityError";
  } catch (const RateLimitError&) {
    return "RateLimitError";
  } catch (const InternalServerError&) {
    return "InternalServerError";
  } catch (const StreamError&) {
    return "StreamError";
  } catch (const APIStatusError&) {
    return "APIStatusError";
  } catch (...) {
    return "Exception";
  }
}

}  // namespace detail
}  // namespace tachyon::client
