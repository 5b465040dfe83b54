#pragma once
// Plain request and response values exchanged between the HTTP server and the API layer.
// They carry no HTTP-library types, so endpoint code never depends on Beast.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachyon {

// Ordered header list with case-insensitive names, as HTTP requires.
class HttpHeaders {
 public:
  // Value of the first header called `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const;
  // Replaces every header called `name` with a single one.
  void set(std::string name, std::string value);
  // Appends without touching existing headers of the same name (e.g. Set-Cookie).
  void add(std::string name, std::string value);
  void remove(std::string_view name);

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

// One parsed request. Filled by the server; `path_params` by the router.
struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // raw request target, e.g. "/v1/models?limit=2"
  std::string path;    // target before '?', not percent-decoded
  std::string query;   // target after '?', raw
  int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
  HttpHeaders headers;
  std::string body;
  std::string request_id;      // the client's X-Request-ID when acceptable, else generated
  std::string remote_address;  // peer IP, for logs and rate limits
  std::map<std::string, std::string, std::less<>> path_params;  // percent-decoded
  std::string route;  // the pattern that matched ("/v1/models/{id}"), set by the router; "" if none

  // Percent-decoded value of query parameter `name` ('+' means space), or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
  // Value of route parameter `name` ("{id}" in the pattern), or "" when absent.
  std::string_view path_param(std::string_view name) const;
};

// A complete (non-streaming) response.
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // Response with Content-Type application/json.
  static HttpResponse json(int status, std::string body);
  // Response with Content-Type text/plain; charset=utf-8.
  static HttpResponse text(int status, std::string body);
};

// Decodes %XX escapes; with `plus_as_space`, '+' becomes ' ' (form/query encoding).
// Malformed escapes are kept literally rather than rejected.
std::string percent_decode(std::string_view text, bool plus_as_space);

}  // namespace tachyon
