#pragma once
// Result<T>: a value or an Error. Expected failures (bad file, bad request) travel as values;
// exceptions are kept for what ends a request, asserts for programmer errors.
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace tachyon {

// What kind of failure an Error is; the HTTP edge maps it to a status code.
enum class ErrorKind {
  InvalidArgument,    // the caller's input is wrong (400)
  Unauthenticated,    // no credentials, or unknown, revoked or expired ones (401)
  PermissionDenied,   // valid credentials that do not allow this (403)
  NotFound,           // a named thing does not exist (404)
  ResourceExhausted,  // queue full, out of capacity: retry later (429)
  Conflict,           // the thing to create exists already, or is being created (409)
  Unavailable,        // shutting down or not ready (503)
  Internal,           // a bug or an environment failure (500)
};

struct Error {
  Error() = default;
  Error(std::string message_, ErrorKind kind_ = ErrorKind::InvalidArgument, std::string param_ = {})
      : message(std::move(message_)), kind(kind_), param(std::move(param_)) {}

  std::string message;
  ErrorKind kind = ErrorKind::InvalidArgument;
  std::string param;  // the request field at fault, when there is one
};

// Builds an Error with fmt formatting: make_error("tensor {} out of bounds", name).
template <typename... Args>
Error make_error(fmt::format_string<Args...> f, Args&&... args) {
  return Error{fmt::format(f, std::forward<Args>(args)...), ErrorKind::InvalidArgument};
}

template <typename... Args>
Error make_error(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
  return Error{fmt::format(f, std::forward<Args>(args)...), kind};
}

// An InvalidArgument error about one request field: invalid_param("top_p", "must be in (0, 1]").
template <typename... Args>
Error invalid_param(std::string param, fmt::format_string<Args...> f, Args&&... args) {
  return Error{fmt::format(f, std::forward<Args>(args)...), ErrorKind::InvalidArgument, std::move(param)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status success() { return {}; }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace tachyon
