// The errors a request can end with, named and arranged as the official OpenAI SDKs arrange them:
// APIError > APIConnectionError > APITimeoutError, and APIError > APIStatusError > one class per status.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tachyon/client/headers.h"

namespace tachyon::client {

// Base of every error the client throws. status() is 0 when no HTTP answer was received.
class APIError : public std::runtime_error {
 public:
  APIError(const std::string& message, int status, std::string body, Headers headers);
  int status() const { return status_; }
  // The answer's body as received ("" without one); json_body() parses it (null if it is not JSON).
  const std::string& body() const { return body_; }
  nlohmann::json json_body() const;
  const Headers& headers() const { return headers_; }
  // The server's X-Request-ID ("" without an answer).
  std::string request_id() const { return headers_.get("x-request-id").value_or(""); }

 private:
  int status_;
  std::string body_;
  Headers headers_;
};

// The server could not be reached, or the connection failed before a whole answer arrived.
class APIConnectionError : public APIError {
 public:
  explicit APIConnectionError(const std::string& message) : APIError(message, 0, "", {}) {}
};

// A connect, read or total timeout expired.
class APITimeoutError : public APIConnectionError {
 public:
  explicit APITimeoutError(const std::string& message) : APIConnectionError(message) {}
};

// The server answered with a status of 400 or more.
class APIStatusError : public APIError {
 public:
  using APIError::APIError;
};

class BadRequestError : public APIStatusError { using APIStatusError::APIStatusError; };           // 400
class AuthenticationError : public APIStatusError { using APIStatusError::APIStatusError; };       // 401
class PermissionDeniedError : public APIStatusError { using APIStatusError::APIStatusError; };     // 403
class NotFoundError : public APIStatusError { using APIStatusError::APIStatusError; };             // 404
class ConflictError : public APIStatusError { using APIStatusError::APIStatusError; };             // 409
class UnprocessableEntityError : public APIStatusError { using APIStatusError::APIStatusError; };  // 422
class RateLimitError : public APIStatusError { using APIStatusError::APIStatusError; };            // 429
class InternalServerError : public APIStatusError { using APIStatusError::APIStatusError; };       // >= 500

// An error event inside a stream that had started with 200.
class StreamError : public APIError {
 public:
  StreamError(const std::string& message, std::string body) : APIError(message, 0, std::move(body), {}) {}
};

// The exception for an answer with `status` >= 400: the class its status names, as an exception_ptr.
std::exception_ptr make_status_error(int status, std::string body, Headers headers);

}  // namespace tachyon::client
